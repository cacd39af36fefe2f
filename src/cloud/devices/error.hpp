// What the device lifecycle refuses (the error convention of common/error.hpp): enrolment,
// certificate requests and renewal, and the certificate a connection presents. The HTTP
// handler and the uplink session map the codes to their wire forms; the audit log records
// code_text().
#pragma once
#include <string_view>

#include "common/error.hpp"

namespace logbot::cloud::devices {

enum class ErrorCode {
  bad_request = 1,      // a field missing or malformed (the UUID)
  invalid_token,        // no such enrolment token
  token_used,           // the token was used already
  token_expired,        // the token's lifetime is over
  device_revoked,       // the token's device was revoked
  uuid_mismatch,        // the UUID (or the CSR's CN) is not the device's
  uuid_in_use,          // another device of the organisation has this UUID
  bad_csr,              // not a request the CA signs (format, key type, signature, no CN)
  not_ready,            // the device CA is not loaded
  unknown_certificate,  // the connection's certificate is no device's current or previous one (any more)
  renewal_too_soon,     // the device had as many certificates issued lately as it may
  certificate_expired,  // the connection's certificate has expired
};

using Error = logbot::Error<ErrorCode>;
template <class T>
using Result = logbot::Result<T, ErrorCode>;

// The code as the API, the uplink and the audit log name it ("invalid_token", "bad_csr"). A used
// token is "invalid_token" there, as an unknown one is.
std::string_view code_text(ErrorCode code);

}  // namespace logbot::cloud::devices
