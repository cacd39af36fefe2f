// Cookie header parsing and the session cookie's attributes.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace logbot::cloud::http {

// The `__Host-` prefix makes the browser insist on Secure, Path=/ and no Domain.
inline constexpr std::string_view kSessionCookie = "__Host-logbot_session";

// Value of the named cookie in a Cookie request header (RFC 6265 syntax), if present.
std::optional<std::string> find_cookie(std::string_view cookie_header, std::string_view name);
std::string session_cookie(const std::string& token, long max_age_seconds);
std::string expired_session_cookie();

}  // namespace logbot::cloud::http
