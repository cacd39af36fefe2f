#include "common/net/https_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <exception>
#include <filesystem>
#include <optional>
#include <vector>

#include "common/tls/tls_context.hpp"
#include "common/tls/x509_util.hpp"
#include "common/version.hpp"

namespace logbot::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// An audit export of 10000 entries stays far below this; anything larger is not our server.
constexpr std::uint64_t kMaximumResponseBytes = 64 * 1024 * 1024;
constexpr std::chrono::seconds kShutdownTimeout{2};

// Cookie and CSRF values come back from session.json: never let one smuggle a header line.
bool is_header_token(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) { return c > 0x20 && c < 0x7f && c != ';'; });
}

std::string seconds_text(std::chrono::milliseconds timeout) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) + " s";
}

// The reason a certificate was refused, in words that say what to do.
std::string describe_verification_failure(long result, const ServerUrl& server) {
  switch (result) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_CERT_REJECTED:
      return "the server's certificate is not trusted (use --ca-file with the server's certificate, e.g. "
             "DATA_DIR/tls/cert.pem): " +
             std::string(X509_verify_cert_error_string(result));
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "the server's certificate is not valid for " + server.host +
             " (connect with a name or address the certificate lists)";
    case X509_V_ERR_CERT_HAS_EXPIRED: return "the server's certificate has expired (the server operator must renew it)";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "the server's certificate is not valid yet (check this computer's clock)";
    default: return "the server's certificate was refused: " + std::string(X509_verify_cert_error_string(result));
  }
}

// The leaf the server presented is the first of the chain it sent (kept even though the
// handshake was refused), so the message can name both fingerprints.
std::string describe_pin_mismatch(SSL* ssl, const std::string& expected) {
  std::string presented = "an unreadable certificate";
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  if (chain != nullptr && sk_X509_num(chain) > 0) presented = tls::der_sha256_fingerprint(sk_X509_value(chain, 0));
  return "the cloud's certificate does not match the enrolment token (fingerprint " + expected + " expected, " +
         presented + " presented)";
}

}  // namespace

std::string HttpResponse::string_field(std::string_view name) const {
  if (!json || !json->is_object()) return {};
  const auto* field = json->as_object().if_contains(name);
  if (field == nullptr || !field->is_string()) return {};
  return std::string(field->as_string());
}

std::string HttpResponse::error_code() const {
  return string_field("error");
}

std::string HttpResponse::error_message() const {
  std::string message = string_field("message");
  if (message.empty()) message = "HTTP status " + std::to_string(status);
  return message;
}

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

struct HttpsClient::Impl {
  explicit Impl(ssl::context context) : tls(std::move(context)) {}
  ServerUrl server;
  std::string ca_file;
  std::string pinned_fingerprint;  // non-empty: pinned mode
  std::chrono::milliseconds timeout;
  std::string product;
  std::string client_marker;
  ssl::context tls;
  std::string session_cookie;
  std::string csrf_token;

  Result<HttpResponse> perform(http::verb verb, std::string_view target, const boost::json::value* body);
  // `request` outlives the coroutine: perform() runs it to completion before returning.
  asio::awaitable<Result<HttpResponse>> exchange(const http::request<http::string_body>& request);
  Result<void> configure_verification(SSL* ssl) const;
  void take_cookies(const http::response<http::string_body>& response);
};

Result<void> HttpsClient::Impl::configure_verification(SSL* ssl) const {
  if (!pinned_fingerprint.empty()) {
    // The pin replaces host-name checks; a DNS name still goes out as SNI for virtual hosting.
    if (!server.host_is_ip && SSL_set_tlsext_host_name(ssl, server.host.c_str()) != 1)
      return fail(ErrorCode::tls_failed, "TLS: cannot set the server name " + server.host);
    return {};
  }
  if (server.host_is_ip) {
    // An IP literal is matched against the certificate's IP SANs only, and is never sent as SNI.
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server.host.c_str()) != 1)
      return fail(ErrorCode::tls_failed, "TLS: cannot verify the address " + server.host);
    return {};
  }
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (SSL_set1_host(ssl, server.host.c_str()) != 1)
    return fail(ErrorCode::tls_failed, "TLS: cannot verify the name " + server.host);
  if (SSL_set_tlsext_host_name(ssl, server.host.c_str()) != 1)
    return fail(ErrorCode::tls_failed, "TLS: cannot set the server name " + server.host);
  return {};
}

void HttpsClient::Impl::take_cookies(const http::response<http::string_body>& response) {
  const auto [first, last] = response.equal_range(http::field::set_cookie);
  for (auto field = first; field != last; ++field) {
    const SessionCookieUpdate update = parse_session_set_cookie(field->value());
    if (!update.is_session_cookie) continue;
    session_cookie = update.clears ? std::string() : update.value;
  }
}

// GCC 12 reports -Wmismatched-new-delete inside Asio's awaitable frame allocator (aligned_alloc paired
// with the frame's own operator delete, which frees it correctly): a known false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<Result<HttpResponse>> HttpsClient::Impl::exchange(const http::request<http::string_body>& request) {
  constexpr auto token = asio::as_tuple(asio::use_awaitable);
  auto executor = co_await asio::this_coro::executor;
  const std::string& origin = server.origin;

  std::vector<tcp::endpoint> endpoints;
  if (server.host_is_ip) {
    endpoints.emplace_back(asio::ip::make_address(server.host), server.port);
  } else {
    tcp::resolver resolver(executor);
    auto [resolve_ec, results] = co_await resolver.async_resolve(server.host, std::to_string(server.port), token);
    if (resolve_ec)
      co_return fail(ErrorCode::name_not_resolved,
                     "cannot find the server " + server.host + ": " + resolve_ec.message());
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }

  beast::ssl_stream<beast::tcp_stream> stream(executor, tls);
  if (auto configured = configure_verification(stream.native_handle()); !configured) co_return configured.error();
  auto& socket = beast::get_lowest_layer(stream);

  socket.expires_after(timeout);
  auto [connect_ec, endpoint] = co_await socket.async_connect(endpoints, token);
  (void)endpoint;
  if (connect_ec == beast::error::timeout)
    co_return fail(ErrorCode::timeout, "cannot connect to " + origin + ": no answer within " + seconds_text(timeout));
  if (connect_ec == asio::error::connection_refused)
    co_return fail(ErrorCode::unreachable,
                   "cannot connect to " + origin + ": connection refused (is the server running, is the port right?)");
  if (connect_ec) co_return fail(ErrorCode::unreachable, "cannot connect to " + origin + ": " + connect_ec.message());
  // Small TLS records each way: Nagle's algorithm would hold one back for the peer's delayed
  // ACK (40 ms on Linux). Failing to set it costs latency only.
  boost::system::error_code no_delay_ec;
  socket.socket().set_option(tcp::no_delay(true), no_delay_ec);

  socket.expires_after(timeout);
  auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::client, token);
  if (handshake_ec) {
    const long verification = SSL_get_verify_result(stream.native_handle());
    if (verification != X509_V_OK && !pinned_fingerprint.empty())
      co_return fail(ErrorCode::pin_mismatch, describe_pin_mismatch(stream.native_handle(), pinned_fingerprint));
    if (verification != X509_V_OK)
      co_return fail(ErrorCode::tls_failed, describe_verification_failure(verification, server));
    if (handshake_ec == beast::error::timeout)
      co_return fail(ErrorCode::timeout, "TLS handshake with " + origin + " timed out after " + seconds_text(timeout));
    co_return fail(ErrorCode::tls_failed, "TLS handshake with " + origin + " failed: " + handshake_ec.message() +
                                              " (is it a Logbot HTTPS server?)");
  }

  socket.expires_after(timeout);
  auto [write_ec, written] = co_await http::async_write(stream, request, token);
  (void)written;
  if (write_ec)
    co_return fail(ErrorCode::unreachable, "cannot send the request to " + origin + ": " + write_ec.message());

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaximumResponseBytes);
  socket.expires_after(timeout);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, token);
  (void)read;
  if (read_ec == beast::error::timeout)
    co_return fail(ErrorCode::timeout, origin + " did not answer within " + seconds_text(timeout));
  if (read_ec) co_return fail(ErrorCode::bad_response, "no valid answer from " + origin + ": " + read_ec.message());

  // Best effort: the answer is complete, a peer that skips close_notify changes nothing.
  socket.expires_after(kShutdownTimeout);
  auto [shutdown_ec] = co_await stream.async_shutdown(token);
  (void)shutdown_ec;

  http::response<http::string_body> response = parser.release();
  take_cookies(response);
  HttpResponse out;
  out.status = response.result_int();
  out.body = std::move(response.body());
  const std::string_view content_type = response[http::field::content_type];
  if (starts_with_ignoring_case(content_type, "application/json") && !out.body.empty()) {
    boost::system::error_code json_ec;
    boost::json::value parsed = boost::json::parse(out.body, json_ec);
    if (!json_ec) out.json = std::move(parsed);
  }
  co_return out;
}
#pragma GCC diagnostic pop

Result<HttpResponse> HttpsClient::Impl::perform(http::verb verb, std::string_view target,
                                                const boost::json::value* body) {
  if (!is_header_token(session_cookie) || !is_header_token(csrf_token))
    return fail(ErrorCode::bad_input, "the stored session holds invalid characters: run logbot login again");
  http::request<http::string_body> request{verb, target, 11};
  const bool v6 = server.host.find(':') != std::string::npos;
  request.set(http::field::host, (v6 ? "[" + server.host + "]" : server.host) + ":" + std::to_string(server.port));
  request.set(http::field::user_agent, product + "/" + kVersion);
  request.set(http::field::accept, "application/json");
  request.set("X-Logbot-Client", client_marker);
  if (!session_cookie.empty()) request.set(http::field::cookie, std::string(kSessionCookieName) + "=" + session_cookie);
  if (verb != http::verb::get && verb != http::verb::head && !csrf_token.empty())
    request.set("X-CSRF-Token", csrf_token);
  if (body != nullptr) {
    request.set(http::field::content_type, "application/json");
    request.body() = boost::json::serialize(*body);
  }
  request.keep_alive(false);
  request.prepare_payload();

  asio::io_context io;
  std::optional<Result<HttpResponse>> outcome;
  asio::co_spawn(io, exchange(request), [&outcome, target](std::exception_ptr failure, Result<HttpResponse> result) {
    if (!failure) {
      outcome.emplace(std::move(result));
      return;
    }
    std::string reason = "unknown error";
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& error) {
      reason = error.what();
    }
    outcome.emplace(fail(ErrorCode::bad_response, "request to " + std::string(target) + " failed: " + reason));
  });
  io.run();
  if (!outcome) return fail(ErrorCode::bad_response, "request to " + server.origin + " did not complete");
  return std::move(*outcome);
}

Result<HttpsClient> HttpsClient::create(const ClientOptions& options) {
  auto server = parse_server_url(options.url);
  if (!server) return server.error();
  if (!options.pinned_fingerprint.empty() && !options.ca_file.empty())
    return fail(ErrorCode::bad_input, "a pinned server certificate and a CA file exclude each other");
  std::unique_ptr<Impl> impl;
  try {
    // The shared TLS policy (common/tls): TLS 1.2+, AEAD only, the server verified.
    impl = std::make_unique<Impl>(options.pinned_fingerprint.empty()
                                      ? tls::make_client_context(options.ca_file)
                                      : tls::make_pinned_client_context(options.pinned_fingerprint));
  } catch (const std::exception& error) {
    return fail(ErrorCode::tls_failed, error.what());  // the CA file, the trust store or the pin
  }
  impl->server = *server;
  impl->ca_file = options.ca_file;
  impl->pinned_fingerprint = options.pinned_fingerprint;
  impl->timeout = options.timeout;
  impl->product = options.product;
  impl->client_marker = options.client_marker;
  return HttpsClient(std::move(impl));
}

HttpsClient::HttpsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsClient::HttpsClient(HttpsClient&&) noexcept = default;
HttpsClient& HttpsClient::operator=(HttpsClient&&) noexcept = default;
HttpsClient::~HttpsClient() = default;

Result<HttpResponse> HttpsClient::get(std::string_view target) {
  return impl_->perform(http::verb::get, target, nullptr);
}

Result<HttpResponse> HttpsClient::post(std::string_view target, const boost::json::value* body) {
  return impl_->perform(http::verb::post, target, body);
}

const std::string& HttpsClient::session_cookie() const {
  return impl_->session_cookie;
}
void HttpsClient::set_session_cookie(std::string cookie) {
  impl_->session_cookie = std::move(cookie);
}
const std::string& HttpsClient::csrf_token() const {
  return impl_->csrf_token;
}
void HttpsClient::set_csrf_token(std::string token) {
  impl_->csrf_token = std::move(token);
}
const ServerUrl& HttpsClient::server() const {
  return impl_->server;
}

}  // namespace logbot::net
