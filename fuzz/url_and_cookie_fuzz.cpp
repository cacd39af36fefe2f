// Fuzzes what the logbot CLI and the agent's HTTPS client parse from a server's answer
// (Set-Cookie) and from a command line (the server URL).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/net/url_and_cookie.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto update = logbot::net::parse_session_set_cookie(input);
  if (update.is_session_cookie && update.value.size() > input.size()) __builtin_trap();
  if (auto url = logbot::net::parse_server_url(input)) {
    if (url->host.empty()) __builtin_trap();
  }
  return 0;
}
