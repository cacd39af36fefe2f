// The one-time enrolment token an organisation admin hands to an agent: it carries where
// the cloud is, the SHA-256 fingerprint of the cloud's TLS certificate (so the agent pins
// the server on first contact, without trusting it first) and the one-time secret.
// Text form: "lbt1." + base64url(JSON {"v":1,"url","fp","secret"}).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "common/enrolment/error.hpp"

namespace logbot::enrolment {

struct EnrolmentToken {
  std::string url;          // https://HOST:PORT
  std::string fingerprint;  // 64 lower-case hex characters
  std::string secret;       // base64url, at least 128 bits
};

std::string encode_enrolment_token(const EnrolmentToken& token);
// Parses untrusted text (pasted by a person, read from a file); the error says what is wrong.
Result<EnrolmentToken> decode_enrolment_token(std::string_view text);

}  // namespace logbot::enrolment
