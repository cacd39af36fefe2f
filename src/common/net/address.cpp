#include "common/net/address.hpp"

#include <charconv>

namespace logbot::net {

std::optional<HostPort> parse_host_port(std::string_view text) {
  HostPort out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty() || port_text.empty()) return std::nullopt;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || value > 65535) return std::nullopt;
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

bool is_loopback_address(std::string_view ip) {
  if (ip == "::1") return true;
  if (ip.starts_with("::ffff:")) ip.remove_prefix(7);
  return ip.starts_with("127.");
}

}  // namespace logbot::net
