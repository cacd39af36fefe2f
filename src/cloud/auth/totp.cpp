#include "cloud/auth/totp.hpp"

#include <liboath/oath.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "common/crypto/constant_time.hpp"
#include "common/crypto/random.hpp"

namespace logbot::cloud {
namespace {

void ensure_oath_initialised() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (oath_init() != OATH_OK) {
      std::fputs("fatal: liboath failed to initialise\n", stderr);
      std::abort();
    }
  });
}

// liboath's comparison callback: 0 when equal. Constant time, so the position of the first
// wrong digit does not leak through timing.
int compare_code(void* handle, const char* candidate) {
  const auto* code = static_cast<const std::string_view*>(handle);
  return crypto::constant_time_equal(*code, candidate) ? 0 : 1;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

}  // namespace

std::string generate_totp_secret() {
  return crypto::random_bytes(kTotpSecretBytes);
}

std::string base32_encode(std::string_view raw) {
  ensure_oath_initialised();
  char* encoded = nullptr;
  std::size_t length = 0;
  if (oath_base32_encode(raw.data(), raw.size(), &encoded, &length) != OATH_OK) {
    std::fputs("fatal: out of memory in base32 encoding\n", stderr);
    std::abort();
  }
  std::string out(encoded, length);
  std::free(encoded);
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

std::string group_in_fours(std::string_view base32) {
  std::string out;
  for (std::size_t i = 0; i < base32.size(); ++i) {
    if (i > 0 && i % 4 == 0) out.push_back(' ');
    out.push_back(base32[i]);
  }
  return out;
}

std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view secret_base32) {
  return "otpauth://totp/" + percent_encode(issuer) + ":" + percent_encode(account) +
         "?secret=" + std::string(secret_base32) + "&issuer=" + percent_encode(issuer) +
         "&algorithm=SHA1&digits=" + std::to_string(kTotpDigits) + "&period=" + std::to_string(kTotpPeriodSeconds);
}

std::optional<std::int64_t> match_totp(std::string_view raw_secret, std::string_view code, std::int64_t unix_seconds) {
  if (code.size() != kTotpDigits) return std::nullopt;
  for (char c : code)
    if (c < '0' || c > '9') return std::nullopt;
  ensure_oath_initialised();
  int position = 0;
  std::uint64_t counter = 0;
  std::string_view handle = code;
  const int rc = oath_totp_validate3_callback(raw_secret.data(), raw_secret.size(), static_cast<time_t>(unix_seconds),
                                              kTotpPeriodSeconds, 0, kTotpDigits, kTotpWindowSteps, &position, &counter,
                                              compare_code, &handle);
  if (rc < 0) return std::nullopt;
  return static_cast<std::int64_t>(counter);
}

}  // namespace logbot::cloud
