// Fuzzes what on-boarding reads from untrusted hands: the enrolment token an agent is given
// (pasted text) and the certificate request an agent sends to the cloud.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "cloud/devices/device_ca.hpp"
#include "cloud/devices/device_store.hpp"
#include "common/enrolment/enrolment_token.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto token = logbot::enrolment::decode_enrolment_token(input)) {
    if (token->fingerprint.size() != 64 || !token->url.starts_with("https://")) __builtin_trap();
    // What decodes must encode to a token that decodes to the same fields.
    auto again = logbot::enrolment::decode_enrolment_token(logbot::enrolment::encode_enrolment_token(*token));
    if (!again || again->secret != token->secret || again->url != token->url) __builtin_trap();
  } else if (token.error().message.empty()) {
    __builtin_trap();
  }
  const auto inspected = logbot::cloud::inspect_csr(input);
  if (!inspected && inspected.error().message.empty()) __builtin_trap();
  if (auto uuid = logbot::cloud::normalize_uuid(input)) {
    if (uuid->size() != 36) __builtin_trap();
  }
  return 0;
}
