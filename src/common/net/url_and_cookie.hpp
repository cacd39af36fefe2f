// What the HTTPS client parses from text it does not control: the server URL (typed by a user,
// or carried in an enrolment token) and the Set-Cookie headers of the server's answers. Pure
// functions (no I/O, no Asio), so the fuzzer calls them directly.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "common/net/error.hpp"

namespace logbot::net {

inline constexpr std::string_view kSessionCookieName = "__Host-logbot_session";

// ASCII case-insensitive prefix test (header names and values, URL schemes).
bool starts_with_ignoring_case(std::string_view text, std::string_view prefix);

// "https://HOST[:PORT][/]" split into what the connection needs.
struct ServerUrl {
  std::string origin;  // normalised "https://host:port", as stored and shown
  std::string host;    // without IPv6 brackets
  std::uint16_t port = 443;
  bool host_is_ip = false;
};
Result<ServerUrl> parse_server_url(std::string_view text);

// What one Set-Cookie header says about the session cookie.
struct SessionCookieUpdate {
  bool is_session_cookie = false;
  bool clears = false;  // empty value or Max-Age <= 0
  std::string value;
};
SessionCookieUpdate parse_session_set_cookie(std::string_view set_cookie_header);

}  // namespace logbot::net
