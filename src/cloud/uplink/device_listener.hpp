// The devices' uplink listener: TLS with a required device-CA client certificate, the
// certificate checked by the device lifecycle (devices::authenticate) after every handshake,
// the WebSocket upgrade, then one DeviceSession per device (device_session.hpp). Its stop()
// is the one signal every session waits on.
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
  std::chrono::milliseconds write_timeout{10'000};      // one message to a device
};

class DeviceListener {
 public:
  DeviceListener(boost::asio::io_context& io, boost::asio::thread_pool& workers, Services& services);
  ~DeviceListener();
  // Binds and starts accepting; returns the wss:// URL of the uplink. Throws std::runtime_error.
  std::string start(const DeviceListenerOptions& options);
  // Stops accepting; every session tells its device the cloud shuts down and closes (on the I/O
  // thread). Connections still in their handshake are cut.
  void stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace logbot::cloud::uplink
