// Fuzzes the Cookie header parser that extracts the session token.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cloud/http/cookies.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto value = logbot::cloud::http::find_cookie(input, logbot::cloud::http::kSessionCookie)) {
    if (value->size() > input.size()) __builtin_trap();
  }
  return 0;
}
