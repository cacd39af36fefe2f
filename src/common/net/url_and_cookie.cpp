#include "common/net/url_and_cookie.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "common/net/address.hpp"

namespace logbot::net {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_dns_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  return std::all_of(host.begin(), host.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.'; });
}

}  // namespace

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

Result<ServerUrl> parse_server_url(std::string_view text) {
  const std::string shown(text);
  constexpr std::string_view kScheme = "https://";
  if (!starts_with_ignoring_case(text, kScheme))
    return fail(ErrorCode::bad_url, "the server URL must start with https:// (got '" + shown + "')");
  std::string_view authority = text.substr(kScheme.size());
  if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  if (authority.find_first_of("/?#@ ") != std::string_view::npos || authority.empty())
    return fail(ErrorCode::bad_url, "the server URL must be https://HOST:PORT without a path (got '" + shown + "')");
  std::string with_port(authority);
  const bool bracketed = authority.front() == '[';
  if ((bracketed && authority.back() == ']') || (!bracketed && authority.find(':') == std::string_view::npos))
    with_port += ":443";
  const auto host_port = parse_host_port(with_port);
  if (!host_port || host_port->port == 0)
    return fail(ErrorCode::bad_url, "the server URL must be https://HOST:PORT (got '" + shown + "')");
  ServerUrl url;
  url.host = host_port->host;
  url.port = host_port->port;
  unsigned char address[16];
  const bool v4 = inet_pton(AF_INET, url.host.c_str(), address) == 1;
  const bool v6 = !v4 && inet_pton(AF_INET6, url.host.c_str(), address) == 1;
  url.host_is_ip = v4 || v6;
  if (!url.host_is_ip && !is_dns_name(url.host))
    return fail(ErrorCode::bad_url, "the server URL has an invalid host name '" + url.host + "'");
  if (url.host_is_ip) {
    // The canonical text of the address, as the certificate check compares it.
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(v4 ? AF_INET : AF_INET6, address, text, sizeof text);
    url.host = text;
  }
  for (char& c : url.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  url.origin = "https://" + (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
  return url;
}

SessionCookieUpdate parse_session_set_cookie(std::string_view header) {
  SessionCookieUpdate update;
  const auto end_of_pair = header.find(';');
  const std::string_view pair = header.substr(0, end_of_pair);
  const auto equals = pair.find('=');
  if (equals == std::string_view::npos || trim(pair.substr(0, equals)) != kSessionCookieName) return update;
  update.is_session_cookie = true;
  update.value = std::string(trim(pair.substr(equals + 1)));
  update.clears = update.value.empty();
  std::string_view attributes = end_of_pair == std::string_view::npos ? "" : header.substr(end_of_pair + 1);
  while (!attributes.empty()) {
    const auto next = attributes.find(';');
    const std::string_view attribute = trim(attributes.substr(0, next));
    if (starts_with_ignoring_case(attribute, "max-age=")) {
      const std::string_view age = trim(attribute.substr(8));
      if (!age.empty() && (age.front() == '-' || age.find_first_not_of('0') == std::string_view::npos))
        update.clears = true;
    }
    attributes = next == std::string_view::npos ? "" : attributes.substr(next + 1);
  }
  return update;
}

}  // namespace logbot::net
