#include "agent/uplink/dialer.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <exception>
#include <vector>

#include "common/await_timeout.hpp"
#include "common/printable.hpp"
#include "common/protocol/envelope_codec.hpp"
#include "common/tls/tls_context.hpp"
#include "common/tls/x509_util.hpp"
#include "common/version.hpp"

namespace logbot::agent::uplink {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

namespace {

constexpr std::string_view kUpgradeStep = "WebSocket upgrade";

// An alert the server sent during or right after the handshake: it refused our certificate.
bool is_tls_alert_from_peer(const boost::system::error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() &&
         ERR_GET_LIB(static_cast<unsigned long>(ec.value())) == ERR_LIB_SSL &&
         ERR_GET_REASON(static_cast<unsigned long>(ec.value())) >= SSL_AD_REASON_OFFSET;
}

Error describe_pin_mismatch(SSL* handle, const std::string& expected) {
  std::string presented = "an unreadable certificate";
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(handle);
  if (chain != nullptr && sk_X509_num(chain) > 0) presented = tls::der_sha256_fingerprint(sk_X509_value(chain, 0));
  return fail(ErrorCode::pin_mismatch, "the cloud's certificate does not match the fingerprint in cloud.json (" +
                                           expected + " expected, " + presented + " presented)");
}

}  // namespace

Error describe_after_tls(const boost::system::error_code& ec, std::string_view step, ErrorCode otherwise) {
  if (is_tls_alert_from_peer(ec))
    return fail(ErrorCode::certificate_refused, "the cloud refused this device's certificate (" + ec.message() +
                                                    "): is the device revoked, or enrolled with another cloud?");
  const bool closed = ec == asio::error::eof || ec == ssl::error::stream_truncated ||
                      ec == asio::error::connection_reset || ec == beast::http::error::end_of_stream;
  // Between the TLS handshake and the upgrade, a Logbot cloud closes only on a certificate it
  // does not accept (the cloud refuses a certificate right after the handshake).
  if (closed && step == kUpgradeStep)
    return fail(ErrorCode::certificate_refused,
                "the cloud refused this device's certificate: it closed the connection before the WebSocket upgrade "
                "(revoked, superseded or unknown device; enrol again if it was revoked)");
  if (closed) return fail(ErrorCode::closed, "the cloud closed the connection during the " + std::string(step));
  if (ec == beast::error::timeout)
    return fail(ErrorCode::timeout, "no answer from the cloud during the " + std::string(step));
  return fail(otherwise, std::string(step) + " failed: " + ec.message());
}

// GCC 12 reports -Wmismatched-new-delete inside Asio's awaitable frame allocator (a known false
// positive, as in https_client.cpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

asio::awaitable<Result<Connection>> dial(const UplinkUrl& url, const DialOptions& options) {
  const milliseconds timeout = options.step_timeout;
  auto executor = co_await asio::this_coro::executor;

  Connection connection;
  try {
    connection.tls = std::make_unique<ssl::context>(
        tls::make_pinned_client_context(options.pinned_fingerprint, options.certificate_file, options.key_file));
  } catch (const std::exception& error) {
    co_return fail(ErrorCode::identity_unusable, error.what());
  }

  std::vector<tcp::endpoint> endpoints;
  if (url.host_is_ip) {
    endpoints.emplace_back(asio::ip::make_address(url.host), url.port);
  } else {
    tcp::resolver resolver(executor);
    auto resolved = co_await within(resolver.async_resolve(url.host, std::to_string(url.port), kAsTuple), timeout);
    if (!resolved)
      co_return fail(ErrorCode::name_not_resolved,
                     "no answer from the name service for " + url.host + " within " + seconds_text(timeout));
    auto& [resolve_ec, results] = *resolved;
    if (resolve_ec)
      co_return fail(ErrorCode::name_not_resolved, "cannot find " + url.host + ": " + resolve_ec.message());
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }

  connection.stream = std::make_unique<UplinkStream>(executor, *connection.tls);
  UplinkStream& stream = *connection.stream;
  auto& lowest = beast::get_lowest_layer(stream);
  boost::system::error_code connect_ec = asio::error::host_not_found;
  for (const auto& endpoint : endpoints) {
    lowest.close();
    if (!options.bind_address.empty()) {
      // Segmentation: cloud traffic leaves from the uplink-side interface only.
      boost::system::error_code bind_ec;
      const auto local = asio::ip::make_address(options.bind_address, bind_ec);
      if (!bind_ec) lowest.socket().open(endpoint.protocol(), bind_ec);
      if (!bind_ec) lowest.socket().bind(tcp::endpoint(local, 0), bind_ec);
      if (bind_ec)
        co_return fail(ErrorCode::bind_failed, "cannot bind the local side to " + options.bind_address +
                                                   " (uplink.bind_address): " + bind_ec.message());
    }
    lowest.expires_after(timeout);
    auto [ec] = co_await lowest.async_connect(endpoint, kAsTuple);
    connect_ec = ec;
    if (!ec) break;
  }
  if (connect_ec == beast::error::timeout)
    co_return fail(ErrorCode::unreachable, "no answer to the TCP connection within " + seconds_text(timeout));
  if (connect_ec == asio::error::connection_refused)
    co_return fail(ErrorCode::unreachable, "connection refused (is the cloud running, is the port right?)");
  if (connect_ec) co_return fail(ErrorCode::unreachable, connect_ec.message());
  // Envelopes and acknowledgements are small: Nagle's algorithm would hold one back for the
  // cloud's delayed ACK (40 ms on Linux). Failing to set it costs latency only.
  boost::system::error_code no_delay_ec;
  lowest.socket().set_option(tcp::no_delay(true), no_delay_ec);

  SSL* handle = stream.next_layer().native_handle();
  if (!url.host_is_ip) SSL_set_tlsext_host_name(handle, url.host.c_str());
  lowest.expires_after(timeout);
  auto [handshake_ec] = co_await stream.next_layer().async_handshake(ssl::stream_base::client, kAsTuple);
  if (handshake_ec) {
    if (SSL_get_verify_result(handle) != X509_V_OK) co_return describe_pin_mismatch(handle, options.pinned_fingerprint);
    co_return describe_after_tls(handshake_ec, "TLS handshake", ErrorCode::tls_failed);
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
  if (upgrade_ec == websocket::error::upgrade_declined)
    co_return fail(ErrorCode::upgrade_declined,
                   "the cloud declined the WebSocket upgrade (HTTP " + std::to_string(upgrade.result_int()) +
                       (upgrade.body().empty() ? std::string() : ": " + printable(upgrade.body(), 200)) + ")");
  if (upgrade_ec) co_return describe_after_tls(upgrade_ec, kUpgradeStep, ErrorCode::protocol_violation);
  co_return std::move(connection);
}

#pragma GCC diagnostic pop

}  // namespace logbot::agent::uplink
