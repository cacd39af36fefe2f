// What creating organisations and accounts from the server shell or the operator API refuses
// (the error convention of common/error.hpp). The API answers http_status() with code_text().
#pragma once
#include <string_view>

#include "common/error.hpp"

namespace logbot::cloud::admin {

enum class ErrorCode {
  bad_request = 1,     // a malformed organisation name or e-mail address
  weak_password,       // the password policy refuses the password
  conflict,            // an organisation of that name, or the operator's account, exists already
  account_exists,      // the owner's account exists already (the shell creates new accounts only)
  not_found,           // no such organisation or account
  has_owner,           // the organisation has an owner: it invites its members itself
  invitation_pending,  // an invitation for that address is pending already
  totp_not_enabled,    // the account has no authenticator to reset
};

using Error = logbot::Error<ErrorCode>;
template <class T>
using Result = logbot::Result<T, ErrorCode>;

std::string_view code_text(ErrorCode code);
unsigned http_status(ErrorCode code);

}  // namespace logbot::cloud::admin
