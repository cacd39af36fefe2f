#include "cloud/http/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "cloud/api/dispatcher.hpp"
#include "cloud/http/message_framing.hpp"
#include "cloud/http/request_target.hpp"
#include "cloud/http/security_headers.hpp"
#include "cloud/process/accept_loop.hpp"
#include "cloud/services.hpp"
#include "common/config/config_error.hpp"
#include "common/net/address.hpp"
#include "common/tls/tls_context.hpp"

// GCC 12 reports -Wmismatched-new-delete inside Asio's awaitable frame allocator (a known false
// positive, as in https_client.cpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace logbot::cloud::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<beast::tcp_stream>;
using namespace std::chrono_literals;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kHeaderLimit = std::size_t{16} * 1024;

Request to_request(const bhttp::request<bhttp::string_body>& message, const std::string& peer_ip) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.body = message.body();
  request.peer_ip = peer_ip;
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  return request;
}

bhttp::response<bhttp::string_body> to_beast(Response&& response, unsigned version, bool keep_alive, bool head) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(response.status), version};
  out.set(bhttp::field::server, "logbot");
  for (auto& [name, value] : response.headers) out.insert(name, value);
  out.body() = std::move(response.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  if (head) out.body().clear();
  return out;
}

FramingFields framing_fields(const bhttp::request<bhttp::string_body>& message) {
  FramingFields fields;
  fields.version = message.version();
  for (const auto& field : message) {
    if (field.name() == bhttp::field::transfer_encoding) fields.transfer_encoding.push_back(field.value());
    if (field.name() == bhttp::field::content_length) fields.content_length.push_back(field.value());
  }
  return fields;
}

Response plain_error(unsigned status, std::string_view code, std::string_view message) {
  Response response = error_response(status, code, message);
  add_security_headers(response);
  return response;
}

}  // namespace

// Open connections, so that shutdown can close them (keep-alive clients would hold it up).
struct HttpsListener::State : std::enable_shared_from_this<HttpsListener::State> {
  State(asio::io_context& io_in, asio::thread_pool& workers_in, Services& services_in)
      : io(io_in), workers(workers_in), services(services_in), acceptor(io_in) {}

  asio::io_context& io;
  asio::thread_pool& workers;
  Services& services;
  tcp::acceptor acceptor;
  std::optional<asio::ssl::context> tls;
  HttpsListenerOptions options;
  std::list<TlsStream*> streams;
  bool stopping = false;

  asio::awaitable<void> session(tcp::socket socket);
};

asio::awaitable<void> HttpsListener::State::session(tcp::socket socket) {
  auto self = shared_from_this();
  const HttpTimeouts& timeouts = options.timeouts;
  boost::system::error_code ignored;
  const std::string peer_ip = socket.remote_endpoint(ignored).address().to_string();
  // Answers are small and follow the handshake's last flight (and would follow TLS 1.3
  // tickets): with Nagle's algorithm the first one waits for the client's delayed ACK, 40 ms.
  socket.set_option(tcp::no_delay(true), ignored);
  TlsStream stream(beast::tcp_stream(std::move(socket)), *tls);
  const auto registration = streams.insert(streams.end(), &stream);
  struct Unregister {
    std::list<TlsStream*>& streams;
    std::list<TlsStream*>::iterator it;
    ~Unregister() { streams.erase(it); }
  } unregister{streams, registration};

  beast::get_lowest_layer(stream).expires_after(timeouts.handshake);
  auto [handshake_error] = co_await stream.async_handshake(asio::ssl::stream_base::server, kUseTuple);
  if (handshake_error) {
    spdlog::debug("TLS handshake from {} failed: {}", peer_ip, handshake_error.message());
    co_return;
  }

  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(options.max_body_bytes);
    // An open connection may wait `idle` for its next request (a pipelined one may be here
    // already); once the request began, all of it must come within `request`.
    if (buffer.size() == 0) {
      beast::get_lowest_layer(stream).expires_after(timeouts.idle);
      auto [wait_error, first] = co_await stream.async_read_some(buffer.prepare(4096), kUseTuple);
      if (wait_error) break;  // closed, silent for too long, or shutting down
      buffer.commit(first);
    }
    beast::get_lowest_layer(stream).expires_after(timeouts.request);
    // The header first: the body is read only once its framing is known to be unambiguous.
    auto [read_error, bytes] = co_await bhttp::async_read_header(stream, buffer, parser, kUseTuple);
    std::optional<std::string> framing_problem;
    if (!read_error) {
      framing_problem = framing_refusal(framing_fields(parser.get()));
      // Beast must have come to the same reading; if it did not, refuse rather than guess.
      if (!framing_problem && parser.get().count(bhttp::field::transfer_encoding) != 0 && !parser.chunked())
        framing_problem = "unsupported Transfer-Encoding";
    }
    if (!read_error && !framing_problem && !parser.is_done())
      std::tie(read_error, bytes) = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
    (void)bytes;
    if (read_error == bhttp::error::end_of_stream || read_error == asio::error::operation_aborted ||
        read_error == beast::error::timeout || read_error == asio::ssl::error::stream_truncated)
      break;

    Response response;
    bool keep_alive = false;
    unsigned version = 11;
    bool head = false;
    if (framing_problem) {
      // Closed after the answer (keep_alive stays false): the bytes after this header are not
      // a request this server can find the start of.
      response = plain_error(400, "bad_framing", *framing_problem);
      services.metrics.count_request(400);
    } else if (read_error) {
      if (read_error == bhttp::error::header_limit)
        response = plain_error(431, "headers_too_large", "request headers are larger than 16 KiB");
      else if (read_error == bhttp::error::body_limit)
        response = plain_error(413, "body_too_large", "request body is larger than the server accepts");
      else
        response = plain_error(400, "bad_request", "malformed HTTP request");
    } else {
      const auto& message = parser.get();
      version = message.version();
      keep_alive = message.keep_alive();
      head = message.method() == bhttp::verb::head;
      Request request = to_request(message, peer_ip);
      if (auto target = parse_request_target(request.target)) {
        request.path = std::move(target->path);
        request.query = std::move(target->query);
        // Handlers block (password hashing, database): run them on the worker pool.
        const auto started = std::chrono::steady_clock::now();
        response = co_await asio::co_spawn(
            workers, [&]() -> asio::awaitable<Response> { co_return api::dispatch(services, request); },
            asio::use_awaitable);
        const auto elapsed_us =
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
        // One key=value line per request; never the query string (it may carry filters with e-mails).
        spdlog::info("http method={} path={} status={} ip={} duration_ms={:.1f}", request.method, request.path,
                     response.status, peer_ip, static_cast<double>(elapsed_us) / 1000.0);
      } else {
        response = plain_error(400, "bad_request", "malformed request target");
        services.metrics.count_request(400);
      }
    }
    auto message = to_beast(std::move(response), version, keep_alive, head);
    beast::get_lowest_layer(stream).expires_after(timeouts.write);
    auto [write_error, written] = co_await bhttp::async_write(stream, message, kUseTuple);
    (void)written;
    if (write_error || !keep_alive || stopping) break;
  }
  if (stopping) co_return;
  beast::get_lowest_layer(stream).expires_after(timeouts.shutdown);
  co_await stream.async_shutdown(kUseTuple);
}

HttpsListener::HttpsListener(asio::io_context& io, asio::thread_pool& workers, Services& services)
    : state_(std::make_shared<State>(io, workers, services)) {}

HttpsListener::~HttpsListener() = default;

std::string HttpsListener::start(const HttpsListenerOptions& options) {
  state_->options = options;
  state_->tls.emplace(tls::make_server_context(options.certificate, options.private_key));
  const auto endpoint_text = net::parse_host_port(options.listen);
  if (!endpoint_text) throw config::ConfigError("listen address '" + options.listen + "' is not HOST:PORT");
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(endpoint_text->host, ec);
  if (ec) throw config::ConfigError("listen address '" + options.listen + "' is not an IP address: " + ec.message());
  auto& acceptor = state_->acceptor;
  const tcp::endpoint endpoint(address, endpoint_text->port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw ListenError("cannot listen on " + options.listen + ": " + ec.message());
  const auto bound = acceptor.local_endpoint();
  const std::string host =
      bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string();
  // The loop holds the state (and so the acceptor) as long as it runs.
  asio::co_spawn(state_->io,
                 process::accept_connections(
                     state_->acceptor, state_->io,
                     [state = state_](tcp::socket socket) { return state->session(std::move(socket)); }, "connection"),
                 asio::detached);
  return "https://" + host + ":" + std::to_string(bound.port());
}

void HttpsListener::stop() {
  state_->stopping = true;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  for (TlsStream* stream : state_->streams) beast::get_lowest_layer(*stream).cancel();
}

}  // namespace logbot::cloud::http

#pragma GCC diagnostic pop
