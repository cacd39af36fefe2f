// What a new password must satisfy (NIST SP 800-63B: length over composition rules).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace logbot::cloud {

inline constexpr std::size_t kMinimumPasswordLength = 12;
inline constexpr std::size_t kMaximumPasswordLength = 1024;

// nullopt when acceptable; otherwise a message for the user saying what to change.
std::optional<std::string> check_new_password(std::string_view password, std::string_view email);

}  // namespace logbot::cloud
