#include "cloud/uplink/device_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <utility>

#include "cloud/services.hpp"
#include "common/await_timeout.hpp"
#include "common/printable.hpp"
#include "common/protocol/envelope_codec.hpp"
#include "common/protocol/refusal.hpp"

namespace logbot::cloud::uplink {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace proto = ::logbot::uplink;
using namespace asio::experimental::awaitable_operators;

namespace {

std::string_view message_view(const beast::flat_buffer& buffer) {
  return {static_cast<const char*>(buffer.data().data()), buffer.size()};
}

// What a close request for `reason` tells the device, and how the session's end is logged.
struct CloseWords {
  const char* message;
  ErrorCode code;
};
CloseWords close_words(protocol::RefusalReason reason) {
  switch (reason) {
    case proto::Refusal::SUPERSEDED: return {"the device connected again; this connection ends", ErrorCode::superseded};
    case proto::Refusal::REVOKED:
      return {"the device was revoked: this certificate is no longer accepted", ErrorCode::revoked};
    case proto::Refusal::SHUTTING_DOWN:
      return {"the cloud is shutting down; connect again later", ErrorCode::shutting_down};
    case proto::Refusal::CERTIFICATE_EXPIRED:
      return {"this connection's certificate has expired: connect again with the renewed one",
              ErrorCode::certificate_expired};
    default: return {"the cloud ends this connection", ErrorCode::closed};
  }
}

}  // namespace

DeviceSession::DeviceSession(DeviceSocket socket, Services& services, asio::thread_pool& workers,
                             devices::PresentedCertificate certificate, Device device, std::string peer_ip,
                             SessionOptions options)
    : socket_(std::move(socket)),
      services_(services),
      workers_(workers),
      certificate_(std::move(certificate)),
      device_(std::move(device)),
      peer_ip_(std::move(peer_ip)),
      options_(options),
      queue_(options.queue_capacity),
      writer_wake_(socket_.get_executor()),
      ended_wake_(socket_.get_executor()) {
  queue_.on_ready = [this] { writer_wake_.cancel(); };
  on(proto::Envelope::kHello, [this](const proto::Envelope& in) { return on_hello(in); });
  on(proto::Envelope::kHeartbeat, [this](const proto::Envelope& in) { return on_heartbeat(in); });
  on(proto::Envelope::kRenewRequest, [this](const proto::Envelope& in) { return on_renew_request(in); });
}

void DeviceSession::on(protocol::BodyCase kind, Handler handler) {
  handlers_[kind] = std::move(handler);
}

void DeviceSession::end(Error error) {
  if (!end_) end_ = std::move(error);
}

// GCC 12 reports -Wmismatched-new-delete inside Asio's awaitable frame allocator (a known false
// positive, as in https_client.cpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

template <typename F>
asio::awaitable<std::invoke_result_t<F>> DeviceSession::on_workers(F work) {
  co_return co_await asio::co_spawn(
      workers_, [work = std::move(work)]() -> asio::awaitable<std::invoke_result_t<F>> { co_return work(); },
      asio::use_awaitable);
}

void DeviceSession::close(protocol::RefusalReason reason) {
  asio::post(socket_.get_executor(), [weak = weak_from_this(), reason] {
    if (auto self = weak.lock()) {
      const CloseWords words = close_words(reason);
      self->request_close(reason, words.message, fail(words.code, words.message),
                          reason == proto::Refusal::SHUTTING_DOWN ? websocket::close_code::going_away
                                                                  : websocket::close_code::policy_error);
    }
  });
}

void DeviceSession::send(proto::Envelope envelope, SendDone done) {
  asio::post(socket_.get_executor(),
             [weak = weak_from_this(), envelope = std::move(envelope), done = std::move(done)]() mutable {
               auto self = weak.lock();
               protocol::Result<void> outcome = protocol::Error{protocol::ErrorCode::stopped, "the session has ended"};
               if (self && !self->closing_) outcome = self->queue_.push(std::move(envelope));
               if (done) done(outcome);
             });
}

void DeviceSession::request_close(protocol::RefusalReason reason, std::string message, Error why,
                                  websocket::close_code code) {
  if (closing_ || ended_) return;
  online_ = false;
  end(std::move(why));
  closing_ = Closing{protocol::make_refusal(reason, std::move(message)), code};
  writer_wake_.cancel();
}

bool DeviceSession::push(proto::Envelope envelope) {
  if (closing_) return false;
  auto pushed = queue_.push(std::move(envelope));
  if (!pushed && pushed.error().code == protocol::ErrorCode::queue_full)
    request_close(proto::Refusal::OVERLOADED, "the device sends faster than it reads the answers",
                  fail(ErrorCode::overloaded, pushed.error().message));
  return pushed.has_value();
}

asio::awaitable<void> DeviceSession::run(asio::steady_timer& stop) {
  auto self = shared_from_this();
  // Small frames both ways: the close handshake within close_timeout, and a device silent for
  // three heartbeat intervals is gone.
  socket_.set_option(websocket::stream_base::timeout{options_.close_timeout, 3 * options_.heartbeat, false});
  socket_.read_message_max(protocol::kMaximumEnvelopeBytes);
  socket_.binary(true);
  registration_ = services_.device_connections.add(device_.id, weak_from_this());
  valid_until_ms_ = certificate_.not_after_ms;
  co_await (read_messages() && write_messages() && watch(stop));
  services_.device_connections.remove(device_.id, registration_);
  if (greeted_)
    spdlog::info("device {} ({}) disconnected{}", device_.name, device_.id,
                 end_ ? " (" + end_->message + ")" : std::string());
  beast::get_lowest_layer(socket_).close();
}

asio::awaitable<void> DeviceSession::read_messages() {
  for (;;) {
    beast::flat_buffer buffer;
    auto [ec, size] = co_await socket_.async_read(buffer, kAsTuple);
    (void)size;
    if (ec) {
      if (ec == websocket::error::closed)
        end(fail(ErrorCode::closed, "the device closed the connection"));
      else if (ec == beast::error::timeout)
        end(fail(ErrorCode::timeout,
                 "nothing heard from the device for " + std::to_string(3 * options_.heartbeat.count()) + " s"));
      else
        end(fail(ErrorCode::closed, "the connection broke: " + ec.message()));
      break;
    }
    if (closing_) continue;  // the close is under way: read on until the device answers it
    auto envelope = protocol::decode_envelope(message_view(buffer));
    if (!envelope && envelope.error().code == protocol::ErrorCode::no_body) continue;  // a newer agent's kind
    if (!envelope) {
      request_close(proto::Refusal::BAD_MESSAGE, envelope.error().message,
                    fail(ErrorCode::protocol_violation, "the device sent " + envelope.error().message));
      continue;
    }
    if (!greeted_ && !envelope->has_hello()) {
      request_close(proto::Refusal::BAD_HELLO, "the first message must be Hello with the certificate's device UUID",
                    fail(ErrorCode::protocol_violation, "the device's first message was not Hello"));
      continue;
    }
    const auto handler = handlers_.find(envelope->body_case());
    if (handler == handlers_.end()) continue;  // nothing this cloud acts on
    if (auto handled = co_await handler->second(*envelope); !handled && !closing_)
      request_close(proto::Refusal::BAD_MESSAGE, handled.error().message, handled.error());
  }
  // The connection is over: the writer and the watch end too.
  ended_ = true;
  online_ = false;
  queue_.close();
  writer_wake_.cancel();
  ended_wake_.cancel();
}

asio::awaitable<void> DeviceSession::write_messages() {
  for (;;) {
    if (ended_) co_return;
    if (closing_) {
      // Why, then the close. The reader gets the device's answer (or the close times out).
      const std::string bytes = protocol::encode_envelope(closing_->refusal);
      auto written = co_await within(socket_.async_write(asio::buffer(bytes), kAsTuple), options_.write_timeout);
      if (written && !std::get<0>(*written)) {
        auto [ec] = co_await socket_.async_close(closing_->code, kAsTuple);
        if (!ec) co_return;
      }
      beast::get_lowest_layer(socket_).close();  // the device does not listen: end it here
      co_return;
    }
    if (auto next = queue_.pop()) {
      const std::string bytes = protocol::encode_envelope(*next);
      auto written = co_await within(socket_.async_write(asio::buffer(bytes), kAsTuple), options_.write_timeout);
      if (!written || std::get<0>(*written)) {
        end(written ? fail(ErrorCode::write_failed, "cannot write to the device: " + std::get<0>(*written).message())
                    : fail(ErrorCode::timeout,
                           "a write to the device took longer than " + seconds_text(options_.write_timeout)));
        beast::get_lowest_layer(socket_).close();  // the reader ends with it
        co_return;
      }
      continue;
    }
    writer_wake_.expires_at(asio::steady_timer::time_point::max());
    co_await writer_wake_.async_wait(kAsTuple);  // cancelled by the queue, a close request or the end
  }
}

asio::awaitable<void> DeviceSession::watch(asio::steady_timer& stop) {
  // The listener's stop signal, or the end of the connection, whichever comes first.
  ended_wake_.expires_at(asio::steady_timer::time_point::max());
  if (!ended_) {
    auto woken = co_await (stop.async_wait(kAsTuple) || ended_wake_.async_wait(kAsTuple));
    (void)woken;
  }
  if (!ended_) close(proto::Refusal::SHUTTING_DOWN);
}

asio::awaitable<Result<void>> DeviceSession::on_hello(const proto::Envelope& in) {
  if (greeted_) co_return fail(ErrorCode::protocol_violation, "a second Hello on one connection");
  if (in.hello().device_uuid() != certificate_.uuid) {
    request_close(proto::Refusal::BAD_HELLO, "the first message must be Hello with the certificate's device UUID",
                  fail(ErrorCode::protocol_violation, "the Hello names another device than the certificate"));
    co_return Result<void>();
  }
  const std::string version = in.hello().agent_version();
  // The session is in the registry now, so a revocation from here on closes it; one that came
  // between the certificate check and the registration is found here.
  const bool still_valid = co_await on_workers([&] {
    if (!services_.devices.find_by_certificate(certificate_.org_id, certificate_.uuid, certificate_.serial))
      return false;
    services_.devices.record_contact(device_.id, version, peer_ip_);
    return true;
  });
  if (!still_valid) {
    close(proto::Refusal::REVOKED);
    co_return Result<void>();
  }
  if (certificate_expired()) {
    close(proto::Refusal::CERTIFICATE_EXPIRED);
    co_return Result<void>();
  }
  // Checked: now this is the device's session, and an older one is superseded.
  services_.device_connections.greet(device_.id, registration_);
  proto::Envelope out;
  auto* ack = out.mutable_hello_ack();
  ack->set_device_id(device_.id);
  ack->set_org_id(device_.org_id);
  ack->set_heartbeat_interval_s(static_cast<unsigned>(options_.heartbeat.count()));
  // The certificate this connection presented (the previous one, while a renewal is unconfirmed).
  ack->set_certificate_expires_ms(certificate_.not_after_ms);
  greeted_ = true;
  if (push(std::move(out))) online_ = true;
  spdlog::info("device {} ({}) connected from {} (agent {})", device_.name, device_.id, peer_ip_,
               printable(version, 64));
  co_return Result<void>();
}

bool DeviceSession::certificate_expired() const {
  return valid_until_ms_ != 0 && services_.clock.now_ms() >= valid_until_ms_;
}

asio::awaitable<Result<void>> DeviceSession::on_heartbeat(const proto::Envelope&) {
  // A session lasts no longer than the certificates it holds (a device that renewed on it holds
  // the renewed one too).
  if (certificate_expired()) {
    close(proto::Refusal::CERTIFICATE_EXPIRED);
    co_return Result<void>();
  }
  co_await on_workers([&] {
    services_.devices.record_heartbeat(device_.id);
    return 0;
  });
  co_return Result<void>();
}

asio::awaitable<Result<void>> DeviceSession::on_renew_request(const proto::Envelope& in) {
  const std::string csr = in.renew_request().csr_pem();
  auto renewed = co_await on_workers([&] { return devices::renew(services_, device_, certificate_, csr, peer_ip_); });
  if (!renewed && renewed.error().code == devices::ErrorCode::certificate_expired) {
    close(proto::Refusal::CERTIFICATE_EXPIRED);
    co_return Result<void>();
  }
  if (!renewed && renewed.error().code == devices::ErrorCode::unknown_certificate) {
    // Revoked, retired by a confirmed renewal, or expired since the session began: it ends.
    request_close(proto::Refusal::REVOKED, renewed.error().message, fail(ErrorCode::revoked, renewed.error().message));
    co_return Result<void>();
  }
  if (!renewed) {
    // A CSR the CA will not sign, or too many renewals lately: the session stays up, the agent
    // asks again later with a new key.
    auto reason = proto::Refusal::BAD_CSR;
    if (renewed.error().code == devices::ErrorCode::uuid_mismatch) reason = proto::Refusal::UUID_MISMATCH;
    if (renewed.error().code == devices::ErrorCode::renewal_too_soon) reason = proto::Refusal::RENEWAL_TOO_SOON;
    spdlog::warn("device {} ({}): certificate renewal refused: {}", device_.name, device_.id, renewed.error().message);
    push(protocol::make_refusal(reason, renewed.error().message));
    co_return Result<void>();
  }
  proto::Envelope out;
  auto* response = out.mutable_renew_response();
  response->set_certificate_pem(renewed->certificate.certificate_pem);
  response->set_ca_chain_pem(renewed->ca_chain_pem);
  response->set_expires_ms(renewed->certificate.not_after_ms);
  device_.certificate_serial = renewed->certificate.serial;
  valid_until_ms_ = std::max(valid_until_ms_, renewed->certificate.not_after_ms);
  device_.certificate_not_after_ms = renewed->certificate.not_after_ms;
  push(std::move(out));
  co_return Result<void>();
}

#pragma GCC diagnostic pop

}  // namespace logbot::cloud::uplink
