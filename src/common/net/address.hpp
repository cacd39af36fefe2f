// "HOST:PORT" endpoints as written in configs and flags ("127.0.0.1:8443", "[::1]:8443").
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace logbot::net {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// nullopt when the text is not HOST:PORT with a port in 0..65535.
std::optional<HostPort> parse_host_port(std::string_view text);
// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback.
bool is_loopback_address(std::string_view ip);

}  // namespace logbot::net
