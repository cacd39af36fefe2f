// One established uplink session, from the Hello to the end of the connection. It reads like
// the protocol: Hello, HelloAck, then heartbeats and certificate renewals going out while the
// cloud's messages come in.
//
// - One writer: every outgoing message (Hello, Heartbeat, RenewRequest, later the batch
//   stream) is pushed into a bounded OutboundQueue, and one writer coroutine sends them one at
//   a time; no producer touches the socket. Message types can be put under credit control
//   (outbound().limit / grant) so a stream waiting for the cloud's acknowledgements never holds
//   back a heartbeat or a control message.
// - A table of handlers by Envelope body case for what the cloud sends (Refusal,
//   RenewResponse; later subsystems register theirs with on()). A handler's error ends the
//   session; a message without a handler is ignored (a newer cloud's).
// - Cancellation by one signal: cancelling run() (the agent's stop, bound at co_spawn) cancels
//   the writer, the reader and the timers together; run() then closes the WebSocket politely.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "agent/state/agent_state.hpp"
#include "agent/uplink/error.hpp"
#include "agent/uplink/renewal_schedule.hpp"
#include "agent/uplink/uplink_stream.hpp"
#include "common/clock.hpp"
#include "common/protocol/outbound_queue.hpp"

namespace logbot::agent::uplink {

using protocol::BodyCase;

struct SessionOptions {
  std::string url_text;                           // for the log
  std::string config_hash;                        // Hello.config_hash
  std::chrono::milliseconds step_timeout{10000};  // Hello/HelloAck, each write
  std::size_t queue_capacity = 16;                // messages of one type waiting for the writer
};

struct SessionEnd {
  bool established = false;  // HelloAck was received
  bool stopped = false;      // the agent is stopping (run() was cancelled)
  Error error{ErrorCode::closed, "the session ended"};
};

class Session {
 public:
  using Handler = std::function<Result<void>(const ::logbot::uplink::Envelope&)>;

  // `stream` is upgraded; `state`, `clock` and `stream` outlive the session. `renewal_due_ms`:
  // when the current certificate is due for renewal.
  Session(UplinkStream& stream, const AgentState& state, const Clock& clock, SessionOptions options,
          std::int64_t renewal_due_ms);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs the session until the connection ends or run() is cancelled; the stream is closed then.
  boost::asio::awaitable<SessionEnd> run();

  // Registers (or replaces) the handler of one body case. Before run().
  void on(BodyCase kind, Handler handler);
  // Where producers put their messages; flow control per type.
  protocol::OutboundQueue& outbound() { return queue_; }

 private:
  boost::asio::awaitable<void> write_messages();
  boost::asio::awaitable<void> converse();
  boost::asio::awaitable<Result<void>> exchange_hello();
  boost::asio::awaitable<void> read_messages();
  boost::asio::awaitable<void> send_heartbeats();
  boost::asio::awaitable<void> request_renewals();

  Result<void> on_refusal(const ::logbot::uplink::Envelope& envelope);
  Result<void> on_renew_response(const ::logbot::uplink::Envelope& envelope);
  // Pushes `envelope`; an error ends the session with `what` + the reason.
  bool enqueue(::logbot::uplink::Envelope envelope, std::string_view what);
  // The first reason the session ends is the one it reports.
  void end(Error error);

  UplinkStream& stream_;
  const AgentState& state_;
  const Clock& clock_;
  SessionOptions options_;
  protocol::OutboundQueue queue_;
  RenewalSchedule renewal_;
  std::map<BodyCase, Handler> handlers_;
  std::chrono::seconds heartbeat_interval_{10};
  bool established_ = false;
  std::optional<Error> end_;
  boost::asio::steady_timer writer_wake_;   // cancelled when the queue has something to send
  boost::asio::steady_timer renewal_wake_;  // cancelled when the renewal schedule changed
};

}  // namespace logbot::agent::uplink
