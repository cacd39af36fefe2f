// Fuzzes what the second login step reads from a request (one-time codes, recovery codes)
// and what the server reads back from its database (sealed TOTP secrets).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cloud/auth/recovery_codes.hpp"
#include "cloud/auth/totp.hpp"
#include "cloud/secrets/secret_box.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace logbot::cloud;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const std::string kSecret = "12345678901234567890";
  static const std::string kKey(32, 'k');
  if (auto step = match_totp(kSecret, input, 1'800'000'000)) {
    // Only six digits can match, and only within one step of the clock.
    if (input.size() != 6 || *step < 59'999'999 || *step > 60'000'001) __builtin_trap();
  }
  if (auto code = normalize_recovery_code(input)) {
    if (code->size() != 10 || normalize_recovery_code(*code) != code) __builtin_trap();
  }
  if (auto opened = open_secret(kKey, input, "totp-secret:u1")) {
    // Forging a sealed value without the key must be impossible.
    __builtin_trap();
  }
  return 0;
}
