// The devices' uplink listener: TLS with a required device-CA client certificate, then one
// WebSocket per device carrying protobuf Envelopes (common/protocol/uplink.proto). It checks
// the certificate against the device's current one after every handshake, keeps the device
// online in DeviceConnections, records contact, and renews certificates.
#pragma once
#include <chrono>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
class thread_pool;
}  // namespace boost::asio

namespace logbot::cloud {
struct Services;
}

namespace logbot::cloud::uplink {

struct DeviceListenerOptions {
  std::string listen;  // IP:PORT; port 0 picks one
  std::string certificate;
  std::string private_key;
  int heartbeat_s = 10;
  std::chrono::milliseconds handshake_timeout{10'000};  // TLS, certificate check and WebSocket upgrade
  std::chrono::milliseconds close_timeout{2'000};       // the WebSocket close at the end
};

class DeviceListener {
 public:
  DeviceListener(boost::asio::io_context& io, boost::asio::thread_pool& workers, Services& services);
  ~DeviceListener();
  // Binds and starts accepting; returns the wss:// URL of the uplink. Throws std::runtime_error.
  std::string start(const DeviceListenerOptions& options);
  // Stops accepting and closes every device connection (on the I/O thread).
  void stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace logbot::cloud::uplink
