// One device's uplink session on the cloud side, from the upgraded WebSocket to the end of
// the connection. It reads like the protocol: Hello and HelloAck, then heartbeats and renewal
// requests coming in while answers, and whatever other modules send the device, go out.
//
// - One writer: every outgoing message is pushed into a bounded protocol::OutboundQueue and one
//   writer coroutine sends them one at a time; nothing else writes to the socket. Message types
//   can be put under credit control (outbound().limit / grant), so a later stream waiting for
//   credit never holds back an answer or a control message.
// - A table of handlers by Envelope body case (on()); a message without one is ignored (a
//   newer agent's). Handlers run one at a time in arrival order; blocking work goes to the
//   worker pool.
// - Ending: a close request (revoked, superseded, the cloud stopping, a bad message) queues
//   nothing more; the writer sends the Refusal that says why, then the WebSocket close, and
//   the reader reads on until the device answers it (bounded by the close timeout). Every
//   session of a listener waits on one stop signal.
// - DeviceLink: close() and send() from any thread, through DeviceConnections.
#pragma once
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cloud/devices/device_connections.hpp"
#include "cloud/devices/device_lifecycle.hpp"
#include "cloud/uplink/error.hpp"
#include "common/protocol/outbound_queue.hpp"

namespace boost::asio {
class thread_pool;
}

namespace logbot::cloud {
struct Services;
}

namespace logbot::cloud::uplink {

using DeviceSocket = boost::beast::websocket::stream<boost::asio::ssl::stream<boost::beast::tcp_stream>>;

struct SessionOptions {
  std::chrono::seconds heartbeat{10};               // asked of the agent; silent for 3 of them ends it
  std::chrono::milliseconds write_timeout{10'000};  // one message
  std::chrono::milliseconds close_timeout{2'000};   // the device's answer to the WebSocket close
  std::size_t queue_capacity = 16;                  // messages of one type waiting for the writer
};

class DeviceSession final : public DeviceLink, public std::enable_shared_from_this<DeviceSession> {
 public:
  using Handler = std::function<boost::asio::awaitable<Result<void>>(const ::logbot::uplink::Envelope&)>;

  // `socket` is upgraded; `device` is what the presented certificate authenticated.
  DeviceSession(DeviceSocket socket, Services& services, boost::asio::thread_pool& workers,
                devices::PresentedCertificate certificate, Device device, std::string peer_ip, SessionOptions options);
  DeviceSession(const DeviceSession&) = delete;
  DeviceSession& operator=(const DeviceSession&) = delete;

  // Runs the session until the connection ends. `stop`: the listener's stop signal, a timer
  // whose expiry is set to the past when the cloud stops.
  boost::asio::awaitable<void> run(boost::asio::steady_timer& stop);

  // Registers (or replaces) the handler of one body case. Before run().
  void on(protocol::BodyCase kind, Handler handler);
  protocol::OutboundQueue& outbound() { return queue_; }

  void close(protocol::RefusalReason reason) override;
  void send(::logbot::uplink::Envelope envelope, SendDone done) override;
  bool online() const override { return online_.load(); }

 private:
  struct Closing {
    ::logbot::uplink::Envelope refusal;
    boost::beast::websocket::close_code code;
  };

  boost::asio::awaitable<void> read_messages();
  boost::asio::awaitable<void> write_messages();
  boost::asio::awaitable<void> watch(boost::asio::steady_timer& stop);
  boost::asio::awaitable<Result<void>> on_hello(const ::logbot::uplink::Envelope& envelope);
  boost::asio::awaitable<Result<void>> on_heartbeat(const ::logbot::uplink::Envelope& envelope);
  boost::asio::awaitable<Result<void>> on_renew_request(const ::logbot::uplink::Envelope& envelope);

  // On the session's thread: the first close request wins; later ones change nothing.
  void request_close(protocol::RefusalReason reason, std::string message, Error why,
                     boost::beast::websocket::close_code code = boost::beast::websocket::close_code::policy_error);
  // The session's certificates (presented, or renewed on it) have all expired.
  bool certificate_expired() const;
  // Pushes `envelope`; a full queue ends the session as overloaded.
  bool push(::logbot::uplink::Envelope envelope);
  void end(Error error);
  template <typename F>
  boost::asio::awaitable<std::invoke_result_t<F>> on_workers(F work);

  DeviceSocket socket_;
  Services& services_;
  boost::asio::thread_pool& workers_;
  devices::PresentedCertificate certificate_;
  Device device_;
  std::string peer_ip_;
  SessionOptions options_;
  protocol::OutboundQueue queue_;
  std::map<protocol::BodyCase, Handler> handlers_;
  std::optional<Closing> closing_;
  std::optional<Error> end_;
  bool greeted_ = false;
  std::uint64_t registration_ = 0;  // in DeviceConnections
  // The session may last while it holds a valid certificate: the one it presented, or one
  // renewed on it (Unix ms; 0: no expiry known).
  std::int64_t valid_until_ms_ = 0;
  std::atomic<bool> online_{false};  // greeted and not closing; read from any thread
  bool ended_ = false;
  boost::asio::steady_timer writer_wake_;  // cancelled when the queue has something, or the session closes
  boost::asio::steady_timer ended_wake_;   // cancelled when the reader is done
};

}  // namespace logbot::cloud::uplink
