// RFC 6238 time-based one-time passwords through liboath: SHA-1, 6 digits, 30-second
// steps, the current step ±1 accepted; secrets of 160 bits from the CSPRNG.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace logbot::cloud {

inline constexpr unsigned kTotpDigits = 6;
inline constexpr unsigned kTotpPeriodSeconds = 30;
inline constexpr unsigned kTotpWindowSteps = 1;
inline constexpr std::size_t kTotpSecretBytes = 20;  // 160 bits, RFC 4226's recommendation

// A new raw secret.
std::string generate_totp_secret();
// RFC 4648 base32 without padding ("JBSWY3DP...").
std::string base32_encode(std::string_view raw);
// Base32 in groups of four, for people typing it in: "JBSW Y3DP ...".
std::string group_in_fours(std::string_view base32);
// otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view secret_base32);

// The time step a correct code belongs to (within ±window of `unix_seconds`), or nullopt.
// The code is compared in constant time. Replay protection is the caller's (see TotpStore).
std::optional<std::int64_t> match_totp(std::string_view raw_secret, std::string_view code, std::int64_t unix_seconds);

}  // namespace logbot::cloud
