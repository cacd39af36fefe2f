#include "cloud/http/cookies.hpp"

namespace logbot::cloud::http {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<std::string> find_cookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto end = header.find(';');
    std::string_view pair = trim(header.substr(0, end));
    header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
    const auto equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    if (trim(pair.substr(0, equals)) != name) continue;
    std::string_view value = trim(pair.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    return std::string(value);
  }
  return std::nullopt;
}

std::string session_cookie(const std::string& token, long max_age_seconds) {
  return std::string(kSessionCookie) + "=" + token + "; Path=/; Max-Age=" + std::to_string(max_age_seconds) +
         "; Secure; HttpOnly; SameSite=Strict";
}

std::string expired_session_cookie() {
  return std::string(kSessionCookie) + "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict";
}

}  // namespace logbot::cloud::http
