// The errors of the authentication module (the error convention: src/common/error.hpp).
#pragma once
#include "common/error.hpp"

namespace logbot::cloud::auth {

enum class ErrorCode {
  password_too_short,  // fewer code points than kMinimumPasswordLength
  password_too_long,   // more bytes than kMaximumPasswordLength
  password_is_email,   // the password is the account's e-mail address
};

using Error = logbot::Error<ErrorCode>;
template <class T>
using Result = logbot::Result<T, ErrorCode>;

}  // namespace logbot::cloud::auth
