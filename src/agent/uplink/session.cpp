#include "agent/uplink/session.hpp"

#include <openssl/err.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/cancellation_state.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <utility>

#include "agent/enrol/enrolment.hpp"
#include "agent/uplink/device_identity.hpp"
#include "agent/uplink/dialer.hpp"
#include "common/await_timeout.hpp"
#include "common/printable.hpp"
#include "common/protocol/envelope_codec.hpp"
#include "common/protocol/refusal.hpp"
#include "common/time_format.hpp"
#include "common/tls/x509_util.hpp"
#include "common/version.hpp"

namespace logbot::agent::uplink {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace proto = ::logbot::uplink;
using namespace asio::experimental::awaitable_operators;
using std::chrono::milliseconds;

namespace {

// What a stopping agent waits for the cloud to confirm its WebSocket close.
constexpr milliseconds kCloseTimeout{1500};
// The cloud's words reach the log at most this long (and never with control characters).
constexpr std::size_t kCloudTextLimit = 300;

std::string_view message_view(const beast::flat_buffer& buffer) {
  return {static_cast<const char*>(buffer.data().data()), buffer.size()};
}

std::string close_reason(const UplinkStream& stream) {
  const auto& reason = stream.reason().reason;
  return printable(std::string_view(reason.data(), reason.size()), kCloudTextLimit);
}

// Cancelled through run(): the agent stops. Checked after every wait, because a coroutine whose
// cancellation was requested throws on its next asynchronous operation.
asio::awaitable<bool> stopping() {
  co_return (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none;
}

Error write_failure(BodyCase kind, const boost::system::error_code& ec) {
  switch (kind) {
    case proto::Envelope::kHello: return describe_after_tls(ec, "Hello", ErrorCode::write_failed);
    case proto::Envelope::kHeartbeat: return fail(ErrorCode::write_failed, "cannot send a heartbeat: " + ec.message());
    case proto::Envelope::kRenewRequest:
      return fail(ErrorCode::write_failed, "cannot send the renewal request: " + ec.message());
    default: return fail(ErrorCode::write_failed, "cannot send a message to the cloud: " + ec.message());
  }
}

}  // namespace

Session::Session(UplinkStream& stream, const AgentState& state, const Clock& clock, SessionOptions options,
                 std::int64_t renewal_due_ms)
    : stream_(stream),
      state_(state),
      clock_(clock),
      options_(std::move(options)),
      queue_(options_.queue_capacity),
      renewal_(clock, renewal_due_ms),
      writer_wake_(stream.get_executor()),
      renewal_wake_(stream.get_executor()) {
  queue_.on_ready = [this] { writer_wake_.cancel(); };
  on(proto::Envelope::kRefusal, [this](const proto::Envelope& envelope) { return on_refusal(envelope); });
  on(proto::Envelope::kRenewResponse, [this](const proto::Envelope& envelope) { return on_renew_response(envelope); });
}

void Session::on(BodyCase kind, Handler handler) {
  handlers_[kind] = std::move(handler);
}

void Session::end(Error error) {
  if (!end_) end_ = std::move(error);
}

bool Session::enqueue(proto::Envelope envelope, std::string_view what) {
  auto pushed = queue_.push(std::move(envelope));
  if (!pushed)
    end(fail(pushed.error().code == protocol::ErrorCode::queue_full ? ErrorCode::queue_full : ErrorCode::stopped,
             std::string(what) + pushed.error().message));
  return pushed.has_value();
}

// GCC 12 reports -Wmismatched-new-delete inside Asio's awaitable frame allocator (a known false
// positive, as in https_client.cpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

asio::awaitable<SessionEnd> Session::run() {
  // The writer lives as long as the conversation; whichever ends first cancels the other.
  co_await (write_messages() || converse());
  queue_.close();
  SessionEnd result;
  result.established = established_;
  if (end_) result.error = *end_;
  if (co_await stopping()) {
    // The agent stops: say goodbye with a WebSocket close, so the cloud shows the device offline
    // at once (bounded; the stop does not wait for a cloud that does not answer). The writer
    // has ended: this is the only write in flight.
    result.stopped = true;
    co_await asio::this_coro::reset_cancellation_state();
    auto closed = co_await within(stream_.async_close(websocket::close_code::going_away, kAsTuple), kCloseTimeout);
    (void)closed;
  }
  beast::get_lowest_layer(stream_).close();
  co_return result;
}

asio::awaitable<void> Session::write_messages() {
  for (;;) {
    while (auto next = queue_.pop()) {
      const BodyCase kind = next->body_case();
      const std::string bytes = protocol::encode_envelope(*next);
      auto written = co_await within(stream_.async_write(asio::buffer(bytes), kAsTuple), options_.step_timeout);
      const boost::system::error_code ec = written ? std::get<0>(*written) : beast::error::timeout;
      if (ec) {
        end(write_failure(kind, ec));
        co_return;
      }
    }
    if (queue_.closed()) co_return;
    writer_wake_.expires_at(asio::steady_timer::time_point::max());
    co_await writer_wake_.async_wait(kAsTuple);  // cancelled by the queue's on_ready, or by the stop
    if (co_await stopping()) co_return;
  }
}

asio::awaitable<void> Session::converse() {
  if (auto hello = co_await exchange_hello(); !hello) {
    end(hello.error());
    co_return;
  }
  co_await (read_messages() || send_heartbeats() || request_renewals());
}

asio::awaitable<Result<void>> Session::exchange_hello() {
  const milliseconds timeout = options_.step_timeout;
  proto::Envelope hello;
  auto* hello_body = hello.mutable_hello();
  hello_body->set_device_uuid(state_.device_uuid());
  hello_body->set_agent_version(kVersion);
  hello_body->set_config_hash(options_.config_hash);
  hello_body->mutable_buffer();
  if (auto pushed = queue_.push(std::move(hello)); !pushed) co_return fail(ErrorCode::stopped, pushed.error().message);

  beast::flat_buffer buffer;
  auto answer = co_await within(stream_.async_read(buffer, kAsTuple), timeout);
  if (!answer) co_return fail(ErrorCode::timeout, "no HelloAck from the cloud within " + seconds_text(timeout));
  if (auto [read_ec, read_size] = *answer; read_ec) {
    (void)read_size;
    if (read_ec == websocket::error::closed)
      co_return fail(ErrorCode::closed,
                     "the cloud closed the connection after the Hello (" + close_reason(stream_) + ")");
    co_return describe_after_tls(read_ec, "Hello", ErrorCode::closed);
  }
  auto envelope = protocol::decode_envelope(message_view(buffer));
  if (!envelope)
    co_return fail(ErrorCode::protocol_violation, "the cloud answered the Hello with " + envelope.error().message);
  if (envelope->has_refusal()) {
    // Whatever the reason, a refused Hello ends the session.
    const std::string text = protocol::refusal_text(envelope->refusal());
    spdlog::error("uplink: refused by the cloud ({}): {}", text,
                  printable(envelope->refusal().message(), kCloudTextLimit));
    co_return fail(ErrorCode::refused, "refused by the cloud (" + text + ")");
  }
  if (!envelope->has_hello_ack())
    co_return fail(ErrorCode::protocol_violation, "the cloud answered the Hello with another message than HelloAck");
  const proto::HelloAck& ack = envelope->hello_ack();
  const unsigned interval_s = ack.heartbeat_interval_s() == 0 ? 10u : std::clamp(ack.heartbeat_interval_s(), 1u, 3600u);
  heartbeat_interval_ = std::chrono::seconds(interval_s);
  established_ = true;
  spdlog::info("uplink: connected to {} (device {}, organisation {}, heartbeat {} s)", options_.url_text,
               printable(ack.device_id(), 64), printable(ack.org_id(), 64), interval_s);

  // A cloud silent for three heartbeat intervals is gone (Beast pings at half of that).
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
  timeouts.handshake_timeout = timeout;
  timeouts.idle_timeout = std::chrono::seconds(3 * interval_s);
  timeouts.keep_alive_pings = true;
  stream_.set_option(timeouts);
  co_return Result<void>();
}

asio::awaitable<void> Session::read_messages() {
  for (;;) {
    beast::flat_buffer buffer;
    auto [ec, size] = co_await stream_.async_read(buffer, kAsTuple);
    (void)size;
    if (ec == websocket::error::closed) {
      const std::string reason = close_reason(stream_);
      end(fail(ErrorCode::closed, "the cloud closed the connection: code " + std::to_string(stream_.reason().code) +
                                      (reason.empty() ? std::string() : ", " + reason)));
      co_return;
    }
    if (ec == beast::error::timeout) {
      end(fail(ErrorCode::timeout,
               "nothing heard from the cloud for " + std::to_string(3 * heartbeat_interval_.count()) + " s"));
      co_return;
    }
    if (ec) {
      end(describe_after_tls(ec, "read", ErrorCode::closed));
      co_return;
    }
    auto envelope = protocol::decode_envelope(message_view(buffer));
    if (!envelope && envelope.error().code == protocol::ErrorCode::no_body) continue;  // a newer cloud's message kind
    if (!envelope) {
      end(fail(ErrorCode::protocol_violation, "the cloud sent " + envelope.error().message));
      co_return;
    }
    const auto handler = handlers_.find(envelope->body_case());
    if (handler == handlers_.end()) continue;  // nothing this agent acts on
    if (auto handled = handler->second(*envelope); !handled) {
      end(handled.error());
      co_return;
    }
  }
}

asio::awaitable<void> Session::send_heartbeats() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(heartbeat_interval_);
  auto next_heartbeat = std::chrono::steady_clock::now() + interval;
  for (;;) {
    timer.expires_at(next_heartbeat);
    co_await timer.async_wait(kAsTuple);
    if (co_await stopping()) co_return;
    proto::Envelope envelope;
    auto* heartbeat = envelope.mutable_heartbeat();
    heartbeat->set_sent_ms(clock_.now_ms());
    heartbeat->mutable_buffer();  // no buffer yet: all zero
    if (!enqueue(std::move(envelope), "cannot send a heartbeat: ")) co_return;
    next_heartbeat += interval;
    if (next_heartbeat < std::chrono::steady_clock::now()) next_heartbeat = std::chrono::steady_clock::now() + interval;
  }
}

asio::awaitable<void> Session::request_renewals() {
  for (;;) {
    if (renewal_.request_due()) {
      // A new key for every renewal: the private key never leaves the device.
      auto key = generate_private_key_pem();
      auto request =
          key ? make_certificate_request_pem(*key, state_.device_uuid()) : net::Result<std::string>(key.error());
      if (!request) {
        spdlog::error("uplink: cannot prepare a certificate renewal: {}", request.error().message);
        renewal_.retry_later();
      } else {
        proto::Envelope envelope;
        envelope.mutable_renew_request()->set_csr_pem(*request);
        // Pending before the write: the answer may be read while the write completes.
        renewal_.requested(std::move(*key));
        spdlog::info("uplink: certificate renewal requested");
        if (!enqueue(std::move(envelope), "cannot send the renewal request: ")) co_return;
      }
    }
    // Looked at again at least every heartbeat interval, so a wall clock that jumps (set by NTP
    // after a boot without a real-time clock) moves the renewal with it.
    renewal_wake_.expires_after(std::min<milliseconds>(milliseconds(renewal_.ms_until_due()), heartbeat_interval_));
    co_await renewal_wake_.async_wait(kAsTuple);  // cancelled early when an answer changed the schedule
    if (co_await stopping()) co_return;
  }
}

#pragma GCC diagnostic pop

Result<void> Session::on_refusal(const proto::Envelope& envelope) {
  const proto::Refusal& refusal = envelope.refusal();
  const std::string text = protocol::refusal_text(refusal);
  spdlog::error("uplink: refused by the cloud ({}): {}", text, printable(refusal.message(), kCloudTextLimit));
  if (protocol::ends_session(protocol::effective_reason(refusal)))
    return fail(ErrorCode::refused, "refused by the cloud (" + text + ")");
  // A refused renewal: the session stays up, the agent asks again later with a new key.
  if (renewal_.pending()) {
    renewal_.retry_later();
    renewal_wake_.cancel();
  }
  return {};
}

Result<void> Session::on_renew_response(const proto::Envelope& envelope) {
  auto key_pem = renewal_.take_key();
  if (!key_pem) {
    spdlog::warn("uplink: ignored a certificate renewal this agent did not ask for");
    return {};
  }
  const std::string& certificate_pem = envelope.renew_response().certificate_pem();
  const std::string& ca_chain_pem = envelope.renew_response().ca_chain_pem();
  auto failed = [&](const std::string& message) -> Result<void> {
    spdlog::error("uplink: certificate renewal failed: {}; trying again in {} s", message,
                  RenewalSchedule::kRetryMs / 1000);
    renewal_.retry_later();
    renewal_wake_.cancel();
    return {};
  };
  if (auto checked = check_renewed_certificate(*key_pem, certificate_pem, state_.device_uuid()); !checked)
    return failed(checked.error().message);
  auto validity = read_certificate_validity(certificate_pem);
  if (!validity) return failed(validity.error().message);
  if (ca_chain_pem.empty() || !tls::certificate_from_pem(ca_chain_pem)) {
    ERR_clear_error();
    return failed("the cloud's answer holds no readable CA chain");
  }
  if (auto installed = install_renewed_identity(state_, *key_pem, certificate_pem, ca_chain_pem); !installed)
    return failed(installed.error().message);
  renewal_.renewed(validity->renewal_due_ms(clock_.now_ms()));
  renewal_wake_.cancel();
  spdlog::info("uplink: certificate renewed (serial {}, valid until {})", validity->serial_hex,
               format_iso8601_ms(validity->not_after_ms));
  return {};
}

}  // namespace logbot::agent::uplink
