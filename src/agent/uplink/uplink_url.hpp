// The device-uplink address "wss://HOST[:PORT][/PATH]" as it arrives from cloud.json (the cloud
// announced it) or agent.toml (an operator typed it). A pure parser, so tests and the config
// loader call it without a network.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "common/net/error.hpp"

namespace logbot::agent {

struct UplinkUrl {
  std::string text;  // normalised "wss://host:port/path", as logged
  std::string host;  // without IPv6 brackets
  std::uint16_t port = 443;
  std::string target;  // the HTTP request target of the WebSocket upgrade, "/" at least
  bool host_is_ip = false;

  // The Host header value ("host:port", IPv6 in brackets).
  std::string host_header() const;
};

// Refuses anything but wss:// (the uplink is never plaintext), user information, fragments,
// empty hosts and ports outside 1..65535; the error says what was wrong.
net::Result<UplinkUrl> parse_uplink_url(std::string_view text);

}  // namespace logbot::agent
