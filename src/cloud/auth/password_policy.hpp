// What a new password must satisfy (NIST SP 800-63B: length over composition rules).
#pragma once
#include <string_view>

#include "cloud/auth/error.hpp"

namespace logbot::cloud {

inline constexpr std::size_t kMinimumPasswordLength = 12;
inline constexpr std::size_t kMaximumPasswordLength = 1024;

// Succeeds when acceptable; otherwise the error's message tells the user what to change (the
// API answers it as 400 `weak_password`).
auth::Result<void> check_new_password(std::string_view password, std::string_view email);

}  // namespace logbot::cloud
