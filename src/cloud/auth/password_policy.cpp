#include "cloud/auth/password_policy.hpp"

#include <string>

namespace logbot::cloud {
namespace {

// Counts code points, not bytes, so that non-ASCII passwords are measured as a person sees them.
std::size_t utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (unsigned char c : text)
    if ((c & 0xc0) != 0x80) ++count;
  return count;
}

}  // namespace

auth::Result<void> check_new_password(std::string_view password, std::string_view email) {
  using auth::ErrorCode;
  if (utf8_length(password) < kMinimumPasswordLength)
    return fail(ErrorCode::password_too_short,
                "the password must have at least " + std::to_string(kMinimumPasswordLength) + " characters");
  if (password.size() > kMaximumPasswordLength)
    return fail(ErrorCode::password_too_long,
                "the password must have at most " + std::to_string(kMaximumPasswordLength) + " bytes");
  if (!email.empty() && password == email)
    return fail(ErrorCode::password_is_email, "the password must not be the e-mail address");
  return {};
}

}  // namespace logbot::cloud
