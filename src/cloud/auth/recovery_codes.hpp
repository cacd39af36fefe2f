// Single-use recovery codes for a lost authenticator: ten per user, "xxxxx-xxxxx" from an
// alphabet without look-alike characters (50 bits each), stored only as keyed hashes.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logbot::cloud {

inline constexpr int kRecoveryCodeCount = 10;

std::vector<std::string> generate_recovery_codes();
// Lower case, dash and spaces removed; nullopt when it cannot be a recovery code.
std::optional<std::string> normalize_recovery_code(std::string_view typed);
// HMAC-SHA-256 under the secrets key, so a database copy alone cannot test guesses.
std::string recovery_code_hash(std::string_view key, std::string_view normalized_code);

}  // namespace logbot::cloud
