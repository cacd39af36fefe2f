#include "agent/uplink/uplink_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <tuple>
#include <variant>

#include "agent/enrol/enrolment.hpp"
#include "agent/uplink/device_identity.hpp"
#include "common/printable.hpp"
#include "common/protocol/envelope_codec.hpp"
#include "common/time_format.hpp"
#include "common/tls/tls_context.hpp"
#include "common/tls/x509_util.hpp"
#include "common/version.hpp"

namespace logbot::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace ssl = boost::asio::ssl;
namespace proto = ::logbot::uplink;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using WebSocket = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
using std::chrono::milliseconds;

namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
// A renewal the cloud leaves unanswered this long is asked for again (with a new key).
constexpr std::int64_t kRenewalAnswerTimeoutMs = 60'000;
// After a failed renewal (bad answer, full disk) the next try waits this long.
constexpr std::int64_t kRenewalRetryMs = 60'000;
// What a stopping agent waits for the cloud to confirm its WebSocket close.
constexpr milliseconds kCloseTimeout{1500};

std::int64_t wall_now_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string seconds_text(milliseconds duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(duration.count()) / 1000.0);
  return text;
}

// The cloud's words can reach the log: control characters never do (common/printable.hpp).
std::string printable(std::string_view text, std::size_t limit = 300) { return logbot::printable(text, limit); }

std::optional<std::string> read_text(const std::filesystem::path& file) {
  std::ifstream stream(file, std::ios::binary);
  if (!stream) return std::nullopt;
  std::ostringstream content;
  content << stream.rdbuf();
  return content.str();
}

// Races an operation against a timer; nullopt when the timer won (the operation is cancelled).
template <class... Results>
asio::awaitable<std::optional<std::tuple<Results...>>> within(asio::awaitable<std::tuple<Results...>> operation,
                                                              milliseconds limit) {
  asio::steady_timer timer(co_await asio::this_coro::executor, limit);
  auto outcome = co_await (std::move(operation) || timer.async_wait(kAsTuple));
  if (outcome.index() == 0) co_return std::get<0>(std::move(outcome));
  co_return std::nullopt;
}

std::string_view message_view(const beast::flat_buffer& buffer) {
  return {static_cast<const char*>(buffer.data().data()), buffer.size()};
}

asio::awaitable<boost::system::error_code> send(WebSocket& stream, const proto::Envelope& envelope,
                                                milliseconds limit) {
  const std::string bytes = protocol::encode_envelope(envelope);
  auto written = co_await within(stream.async_write(asio::buffer(bytes), kAsTuple), limit);
  if (!written) co_return beast::error::timeout;
  co_return std::get<0>(*written);
}

constexpr std::string_view kUpgradeStep = "WebSocket upgrade";

// An alert the server sent during or right after the handshake: it refused our certificate.
bool is_tls_alert_from_peer(const boost::system::error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() &&
         ERR_GET_LIB(static_cast<unsigned long>(ec.value())) == ERR_LIB_SSL &&
         ERR_GET_REASON(static_cast<unsigned long>(ec.value())) >= SSL_AD_REASON_OFFSET;
}

std::string describe_after_tls(const boost::system::error_code& ec, std::string_view step) {
  if (is_tls_alert_from_peer(ec))
    return "the cloud refused this device's certificate (" + ec.message() +
           "): is the device revoked, or enrolled with another cloud?";
  const bool closed = ec == asio::error::eof || ec == ssl::error::stream_truncated ||
                      ec == asio::error::connection_reset || ec == beast::http::error::end_of_stream;
  // Between the TLS handshake and the upgrade, a Logbot cloud closes only on a certificate it
  // does not accept (the cloud refuses a certificate right after the handshake).
  if (closed && step == kUpgradeStep)
    return "the cloud refused this device's certificate: it closed the connection before the WebSocket upgrade "
           "(revoked, superseded or unknown device; enrol again if it was revoked)";
  if (closed) return "the cloud closed the connection during the " + std::string(step);
  if (ec == beast::error::timeout) return "no answer from the cloud during the " + std::string(step);
  return std::string(step) + " failed: " + ec.message();
}

std::string describe_pin_mismatch(SSL* handle, const std::string& expected) {
  std::string presented = "an unreadable certificate";
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(handle);
  if (chain != nullptr && sk_X509_num(chain) > 0) presented = tls::der_sha256_fingerprint(sk_X509_value(chain, 0));
  return "the cloud's certificate does not match the fingerprint in cloud.json (" + expected + " expected, " +
         presented + " presented)";
}

// Refusal codes after which the cloud closes the connection (docs/ARCHITECTURE.md, device uplink).
bool ends_session(std::string_view code) {
  return code == "revoked" || code == "superseded" || code == "bad_hello" || code == "bad_message";
}

proto::Envelope heartbeat_envelope() {
  proto::Envelope envelope;
  auto* heartbeat = envelope.mutable_heartbeat();
  heartbeat->set_sent_ms(wall_now_ms());
  heartbeat->mutable_buffer();  // no buffer yet: all zero
  return envelope;
}

}  // namespace

// What the reader and the writer of one established session share (one thread: no locks).
struct UplinkClient::Conversation {
  WebSocket& stream;
  std::chrono::seconds heartbeat_interval;
  std::int64_t renewal_due_ms = 0;
  std::string pending_key_pem;  // non-empty while a RenewRequest waits for its answer
  std::int64_t renewal_sent_ms = 0;
  std::string end_reason;

  void end(std::string reason) {
    if (end_reason.empty()) end_reason = std::move(reason);
  }
};

UplinkClient::UplinkClient(const AgentState& state, UplinkOptions options, ReconnectPolicy policy)
    : state_(state), options_(std::move(options)), policy_(std::move(policy)) {}

// GCC 12 reports -Wmismatched-new-delete inside Asio's awaitable frame allocator (a known false
// positive, as in https_client.cpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

asio::awaitable<void> UplinkClient::run() {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (;;) {
    const UplinkUrl& url = options_.endpoints[policy_.endpoint()];
    const SessionEnd end = co_await session(url);
    if (end.stopped || (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
      co_return;
    if (end.established) {
      const milliseconds delay = policy_.after_connection_lost();
      spdlog::warn("uplink: connection lost ({}); retrying in {}", end.reason, seconds_text(delay));
      pause.expires_after(delay);
    } else {
      const milliseconds delay = policy_.after_failure();
      if (policy_.endpoint() != 0)
        spdlog::warn("uplink: cannot connect to {} ({}); trying {}", url.text, end.reason,
                     options_.endpoints[policy_.endpoint()].text);
      else
        spdlog::warn("uplink: cannot connect to {} ({}); retrying in {}", url.text, end.reason, seconds_text(delay));
      pause.expires_after(delay);
    }
    // Throws operation_aborted when the agent stops: that ends run().
    co_await pause.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<UplinkClient::SessionEnd> UplinkClient::session(const UplinkUrl& url) {
  SessionEnd end;
  const milliseconds timeout = options_.step_timeout;
  auto executor = co_await asio::this_coro::executor;

  // The identity of this attempt: a renewal interrupted by a crash is completed first.
  if (auto recovered = recover_interrupted_renewal(state_); !recovered) {
    end.reason = recovered.error().message;
    co_return end;
  }
  const auto certificate_pem = read_text(state_.certificate_file());
  if (!certificate_pem) {
    end.reason = "cannot read " + state_.certificate_file().string();
    co_return end;
  }
  auto validity = read_certificate_validity(*certificate_pem);
  if (!validity) {
    end.reason = validity.error().message + " (" + state_.certificate_file().string() + ")";
    co_return end;
  }
  std::optional<ssl::context> context;
  try {
    context.emplace(
        tls::make_pinned_client_context(options_.pinned_fingerprint, state_.certificate_file(), state_.key_file()));
  } catch (const std::exception& error) {
    end.reason = error.what();
    co_return end;
  }

  std::vector<tcp::endpoint> endpoints;
  if (url.host_is_ip) {
    endpoints.emplace_back(asio::ip::make_address(url.host), url.port);
  } else {
    tcp::resolver resolver(executor);
    auto resolved = co_await within(resolver.async_resolve(url.host, std::to_string(url.port), kAsTuple), timeout);
    if (!resolved) {
      end.reason = "no answer from the name service for " + url.host + " within " + seconds_text(timeout);
      co_return end;
    }
    auto& [resolve_ec, results] = *resolved;
    if (resolve_ec) {
      end.reason = "cannot find " + url.host + ": " + resolve_ec.message();
      co_return end;
    }
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }

  WebSocket stream(executor, *context);
  auto& lowest = beast::get_lowest_layer(stream);
  boost::system::error_code connect_ec = asio::error::host_not_found;
  for (const auto& endpoint : endpoints) {
    lowest.close();
    if (!options_.bind_address.empty()) {
      // Segmentation: cloud traffic leaves from the uplink-side interface only.
      boost::system::error_code bind_ec;
      const auto local = asio::ip::make_address(options_.bind_address, bind_ec);
      if (!bind_ec) lowest.socket().open(endpoint.protocol(), bind_ec);
      if (!bind_ec) lowest.socket().bind(tcp::endpoint(local, 0), bind_ec);
      if (bind_ec) {
        end.reason =
            "cannot bind the local side to " + options_.bind_address + " (uplink.bind_address): " + bind_ec.message();
        co_return end;
      }
    }
    lowest.expires_after(timeout);
    auto [ec] = co_await lowest.async_connect(endpoint, kAsTuple);
    connect_ec = ec;
    if (!ec) break;
  }
  if (connect_ec == beast::error::timeout) {
    end.reason = "no answer to the TCP connection within " + seconds_text(timeout);
    co_return end;
  }
  if (connect_ec == asio::error::connection_refused) {
    end.reason = "connection refused (is the cloud running, is the port right?)";
    co_return end;
  }
  if (connect_ec) {
    end.reason = connect_ec.message();
    co_return end;
  }
  // Envelopes and acknowledgements are small: Nagle's algorithm would hold one back for the
  // cloud's delayed ACK (40 ms on Linux). Failing to set it costs latency only.
  boost::system::error_code no_delay_ec;
  lowest.socket().set_option(tcp::no_delay(true), no_delay_ec);

  SSL* handle = stream.next_layer().native_handle();
  if (!url.host_is_ip) SSL_set_tlsext_host_name(handle, url.host.c_str());
  lowest.expires_after(timeout);
  auto [handshake_ec] = co_await stream.next_layer().async_handshake(ssl::stream_base::client, kAsTuple);
  if (handshake_ec) {
    end.reason = SSL_get_verify_result(handle) != X509_V_OK ? describe_pin_mismatch(handle, options_.pinned_fingerprint)
                                                            : describe_after_tls(handshake_ec, "TLS handshake");
    co_return end;
  }

  // From here the WebSocket layer keeps the time (handshake, then idle with pings).
  lowest.expires_never();
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
  timeouts.handshake_timeout = timeout;
  stream.set_option(timeouts);
  stream.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
    request.set(beast::http::field::user_agent, std::string("logbot-agent/") + kVersion);
  }));
  stream.binary(true);
  stream.read_message_max(protocol::kMaximumEnvelopeBytes);
  websocket::response_type upgrade;
  auto [upgrade_ec] = co_await stream.async_handshake(upgrade, url.host_header(), url.target, kAsTuple);
  if (upgrade_ec == websocket::error::upgrade_declined) {
    end.reason = "the cloud declined the WebSocket upgrade (HTTP " + std::to_string(upgrade.result_int()) +
                 (upgrade.body().empty() ? std::string() : ": " + printable(upgrade.body(), 200)) + ")";
    co_return end;
  }
  if (upgrade_ec) {
    end.reason = describe_after_tls(upgrade_ec, kUpgradeStep);
    co_return end;
  }

  proto::Envelope hello;
  auto* hello_body = hello.mutable_hello();
  hello_body->set_device_uuid(state_.device_uuid());
  hello_body->set_agent_version(kVersion);
  hello_body->set_config_hash(options_.config_hash);
  hello_body->mutable_buffer();
  if (auto ec = co_await send(stream, hello, timeout)) {
    end.reason = describe_after_tls(ec, "Hello");
    co_return end;
  }
  beast::flat_buffer buffer;
  auto answer = co_await within(stream.async_read(buffer, kAsTuple), timeout);
  if (!answer) {
    end.reason = "no HelloAck from the cloud within " + seconds_text(timeout);
    co_return end;
  }
  if (auto [read_ec, read_size] = *answer; read_ec) {
    (void)read_size;
    end.reason = read_ec == websocket::error::closed
                     ? "the cloud closed the connection after the Hello (" +
                           printable(std::string_view(stream.reason().reason.data(), stream.reason().reason.size())) +
                           ")"
                     : describe_after_tls(read_ec, "Hello");
    co_return end;
  }
  auto envelope = protocol::decode_envelope(message_view(buffer));
  if (!envelope) {
    end.reason = "the cloud answered the Hello with " + envelope.error().message();
    co_return end;
  }
  if (envelope->has_refusal()) {
    spdlog::error("uplink: refused by the cloud ({}): {}", printable(envelope->refusal().code_text(), 64),
                  printable(envelope->refusal().message()));
    end.reason = "refused by the cloud (" + printable(envelope->refusal().code_text(), 64) + ")";
    co_return end;
  }
  if (!envelope->has_hello_ack()) {
    end.reason = "the cloud answered the Hello with another message than HelloAck";
    co_return end;
  }
  const proto::HelloAck& ack = envelope->hello_ack();
  const unsigned interval_s = ack.heartbeat_interval_s() == 0 ? 10u : std::clamp(ack.heartbeat_interval_s(), 1u, 3600u);
  end.established = true;
  spdlog::info("uplink: connected to {} (device {}, organisation {}, heartbeat {} s)", url.text,
               printable(ack.device_id(), 64), printable(ack.org_id(), 64), interval_s);

  // A cloud silent for three heartbeat intervals is gone (Beast pings at half of that).
  timeouts.idle_timeout = std::chrono::seconds(3 * interval_s);
  timeouts.keep_alive_pings = true;
  stream.set_option(timeouts);

  Conversation conversation{stream, std::chrono::seconds(interval_s), validity->renewal_due_ms(), {}, 0, {}};
  co_await (read_messages(conversation) || write_heartbeats(conversation));
  end.reason = conversation.end_reason.empty() ? "the session ended" : conversation.end_reason;
  if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
    // The agent stops: say goodbye with a WebSocket close, so the cloud shows the device offline
    // at once (bounded; the stop does not wait for a cloud that does not answer).
    end.stopped = true;
    co_await asio::this_coro::reset_cancellation_state();
    auto closed = co_await within(stream.async_close(websocket::close_code::going_away, kAsTuple), kCloseTimeout);
    (void)closed;
  }
  lowest.close();
  co_return end;
}

asio::awaitable<void> UplinkClient::read_messages(Conversation& conversation) {
  for (;;) {
    beast::flat_buffer buffer;
    auto [ec, size] = co_await conversation.stream.async_read(buffer, kAsTuple);
    (void)size;
    if (ec == websocket::error::closed) {
      const auto& reason = conversation.stream.reason();
      conversation.end("the cloud closed the connection: code " + std::to_string(reason.code) +
                       (reason.reason.empty()
                            ? std::string()
                            : ", " + printable(std::string_view(reason.reason.data(), reason.reason.size()))));
      co_return;
    }
    if (ec == beast::error::timeout) {
      conversation.end("nothing heard from the cloud for " +
                       std::to_string(3 * conversation.heartbeat_interval.count()) + " s");
      co_return;
    }
    if (ec) {
      conversation.end(describe_after_tls(ec, "read"));
      co_return;
    }
    auto envelope = protocol::decode_envelope(message_view(buffer));
    if (!envelope && envelope.error() == protocol::EnvelopeError::no_body) continue;  // a newer cloud's message kind
    if (!envelope) {
      conversation.end("the cloud sent " + envelope.error().message());
      co_return;
    }
    if (envelope->has_refusal()) {
      const std::string code = printable(envelope->refusal().code_text(), 64);
      spdlog::error("uplink: refused by the cloud ({}): {}", code, printable(envelope->refusal().message()));
      // A refused renewal (a CSR the cloud would not sign) leaves the session up: the agent asks
      // again later with a new key. Every other refusal precedes the cloud's close.
      if (!conversation.pending_key_pem.empty() && !ends_session(code)) {
        conversation.pending_key_pem.clear();
        conversation.renewal_due_ms = wall_now_ms() + kRenewalRetryMs;
        continue;
      }
      conversation.end("refused by the cloud (" + code + ")");
      co_return;
    }
    if (envelope->has_renew_response())
      accept_renewal(conversation, envelope->renew_response().certificate_pem(),
                     envelope->renew_response().ca_chain_pem());
  }
}

void UplinkClient::accept_renewal(Conversation& conversation, const std::string& certificate_pem,
                                  const std::string& ca_chain_pem) {
  if (conversation.pending_key_pem.empty()) {
    spdlog::warn("uplink: ignored a certificate renewal this agent did not ask for");
    return;
  }
  const std::string key_pem = std::move(conversation.pending_key_pem);
  conversation.pending_key_pem.clear();
  auto fail = [&](const std::string& message) {
    spdlog::error("uplink: certificate renewal failed: {}; trying again in {} s", message, kRenewalRetryMs / 1000);
    conversation.renewal_due_ms = wall_now_ms() + kRenewalRetryMs;
  };
  if (auto checked = check_renewed_certificate(key_pem, certificate_pem, state_.device_uuid()); !checked)
    return fail(checked.error().message);
  auto validity = read_certificate_validity(certificate_pem);
  if (!validity) return fail(validity.error().message);
  if (ca_chain_pem.empty() || !tls::certificate_from_pem(ca_chain_pem)) {
    ERR_clear_error();
    return fail("the cloud's answer holds no readable CA chain");
  }
  if (auto installed = install_renewed_identity(state_, key_pem, certificate_pem, ca_chain_pem); !installed)
    return fail(installed.error().message);
  conversation.renewal_due_ms = validity->renewal_due_ms();
  spdlog::info("uplink: certificate renewed (serial {}, valid until {})", validity->serial_hex,
               format_iso8601_ms(validity->not_after_ms));
}

asio::awaitable<void> UplinkClient::write_heartbeats(Conversation& conversation) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto interval =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(conversation.heartbeat_interval);
  auto next_heartbeat = std::chrono::steady_clock::now() + interval;
  for (;;) {
    const std::int64_t now = wall_now_ms();
    const bool renewal_waiting = !conversation.pending_key_pem.empty();
    if (renewal_waiting ? now - conversation.renewal_sent_ms > kRenewalAnswerTimeoutMs
                        : now >= conversation.renewal_due_ms) {
      // A new key for every renewal: the private key never leaves the device.
      auto key = generate_private_key_pem();
      auto request =
          key ? make_certificate_request_pem(*key, state_.device_uuid()) : UserResult<std::string>(key.error());
      if (!request) {
        spdlog::error("uplink: cannot prepare a certificate renewal: {}", request.error().message);
        conversation.renewal_due_ms = now + kRenewalRetryMs;
        conversation.pending_key_pem.clear();
      } else {
        proto::Envelope envelope;
        envelope.mutable_renew_request()->set_csr_pem(*request);
        // Pending before the write: the answer may be read while this write completes.
        conversation.pending_key_pem = std::move(*key);
        conversation.renewal_sent_ms = now;
        spdlog::info("uplink: certificate renewal requested");
        if (auto ec = co_await send(conversation.stream, envelope, options_.step_timeout)) {
          conversation.pending_key_pem.clear();
          conversation.end("cannot send the renewal request: " + ec.message());
          co_return;
        }
      }
    }
    auto wake = next_heartbeat;
    if (conversation.pending_key_pem.empty())
      wake = std::min(wake, std::chrono::steady_clock::now() +
                                milliseconds(std::max<std::int64_t>(0, conversation.renewal_due_ms - wall_now_ms())));
    else
      wake = std::min(wake, std::chrono::steady_clock::now() +
                                milliseconds(std::max<std::int64_t>(
                                    0, conversation.renewal_sent_ms + kRenewalAnswerTimeoutMs + 1 - wall_now_ms())));
    timer.expires_at(wake);
    auto [wait_ec] = co_await timer.async_wait(kAsTuple);
    if (wait_ec) {
      conversation.end("stopped");
      co_return;
    }
    if (std::chrono::steady_clock::now() >= next_heartbeat) {
      if (auto ec = co_await send(conversation.stream, heartbeat_envelope(), options_.step_timeout)) {
        conversation.end("cannot send a heartbeat: " + ec.message());
        co_return;
      }
      next_heartbeat += interval;
      if (next_heartbeat < std::chrono::steady_clock::now())
        next_heartbeat = std::chrono::steady_clock::now() + interval;
    }
  }
}

#pragma GCC diagnostic pop

}  // namespace logbot::agent
