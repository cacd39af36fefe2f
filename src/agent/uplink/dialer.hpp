// The uplink's dialer: from a wss:// address to an upgraded WebSocket — name resolution, TCP
// from the uplink-side local address when configured, TLS presenting the device certificate
// and pinning the cloud's, then the WebSocket upgrade. Every step has a timeout; every failure
// is a value whose message says what to do (the reconnect loop logs it).
#pragma once
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <string>

#include "agent/uplink/error.hpp"
#include "agent/uplink/uplink_stream.hpp"
#include "agent/uplink/uplink_url.hpp"

namespace logbot::agent::uplink {

struct DialOptions {
  std::filesystem::path certificate_file;  // the device's certificate (PEM)
  std::filesystem::path key_file;          // its private key
  std::string pinned_fingerprint;          // SHA-256 of the cloud's certificate (cloud.json)
  std::string bind_address;                // local IP for the connection; empty: any
  std::chrono::milliseconds step_timeout{10000};
};

boost::asio::awaitable<Result<Connection>> dial(const UplinkUrl& url, const DialOptions& options);

// What a failure after the TCP connection means, worded for the log: `step` names what the
// agent was doing ("TLS handshake", "Hello", "read"); `otherwise` is the code of a failure
// that is neither a refused certificate, a close nor a timeout.
Error describe_after_tls(const boost::system::error_code& ec, std::string_view step, ErrorCode otherwise);

}  // namespace logbot::agent::uplink
