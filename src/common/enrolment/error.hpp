// Why an enrolment token was not accepted (the error convention of common/error.hpp).
#pragma once
#include "common/error.hpp"

namespace logbot::enrolment {

enum class ErrorCode {
  too_long = 1,     // longer than any token Logbot makes
  not_a_token,      // no "lbt1." prefix
  damaged,          // not base64url, or no JSON object inside
  unknown_version,  // a token of a newer format
  bad_field,        // the address, the fingerprint or the secret is missing or malformed
};

using Error = logbot::Error<ErrorCode>;
template <class T>
using Result = logbot::Result<T, ErrorCode>;

}  // namespace logbot::enrolment
