#include "agent/uplink/uplink_url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "common/net/url_and_cookie.hpp"

namespace logbot::agent {
namespace {

bool is_ip_literal(const std::string& host) {
  unsigned char address[16];
  return inet_pton(AF_INET, host.c_str(), address) == 1 || inet_pton(AF_INET6, host.c_str(), address) == 1;
}

bool is_host_name(std::string_view host) {
  return !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.';
  });
}

}  // namespace

std::string UplinkUrl::host_header() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

net::Result<UplinkUrl> parse_uplink_url(std::string_view text) {
  constexpr std::string_view kScheme = "wss://";
  const std::string shown(text.substr(0, 200));
  auto bad = [&](const std::string& why) {
    return fail(net::ErrorCode::bad_url, "the uplink address '" + shown + "' is not usable: " + why +
                                             " (expected wss://HOST:PORT/api/v1/devices/uplink)");
  };
  if (text.size() > 2048) return bad("it is too long");
  if (!net::starts_with_ignoring_case(text, kScheme)) return bad("it must start with wss://");
  std::string_view rest = text.substr(kScheme.size());
  if (rest.find_first_of("#@ \t\r\n") != std::string_view::npos)
    return bad("it holds user information, a fragment or white space");
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  UplinkUrl url;
  url.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (std::any_of(url.target.begin(), url.target.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x21 || c == 0x7f; }))
    return bad("the path holds control characters");

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("an IPv6 address misses its ']'");
    url.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("unexpected text after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return bad("the port is empty");
    }
    if (url.host.find(':') == std::string::npos || !is_ip_literal(url.host))
      return bad("the bracketed host is not an IPv6 address");
  } else {
    const std::size_t colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return bad("the port is empty");
    }
    if (!is_host_name(url.host)) return bad("the host is empty or holds invalid characters");
  }
  if (!port_text.empty()) {
    if (port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return bad("the port is not a number");
    const unsigned long port = std::stoul(std::string(port_text));
    if (port < 1 || port > 65535) return bad("the port is not between 1 and 65535");
    url.port = static_cast<std::uint16_t>(port);
  }
  std::transform(url.host.begin(), url.host.end(), url.host.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  url.host_is_ip = is_ip_literal(url.host);
  url.text = "wss://" + url.host_header() + url.target;
  return url;
}

}  // namespace logbot::agent
