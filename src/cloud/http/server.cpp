#include "cloud/http/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
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
#include <fstream>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "cloud/api/abandoned_logins.hpp"
#include "cloud/api/dispatcher.hpp"
#include "cloud/http/message_framing.hpp"
#include "cloud/http/request_target.hpp"
#include "cloud/http/security_headers.hpp"
#include "cloud/services.hpp"
#include "cloud/uplink/device_server.hpp"
#include "common/net/address.hpp"
#include "common/tls/tls_context.hpp"

namespace logbot::cloud::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<beast::tcp_stream>;
using namespace std::chrono_literals;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

constexpr auto kHandshakeTimeout = 10s;
constexpr auto kIdleTimeout = 60s;
constexpr auto kWriteTimeout = 30s;
constexpr std::size_t kHeaderLimit = std::size_t{16} * 1024;

// Open connections, so that shutdown can close them (keep-alive clients would hold it up).
struct Registry {
  std::list<TlsStream*> streams;
  bool stopping = false;
};

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

asio::awaitable<void> run_session(tcp::socket socket, asio::ssl::context& tls, Services& services,
                                  asio::thread_pool& workers, Registry& registry, std::size_t max_body) {
  boost::system::error_code ignored;
  const std::string peer_ip = socket.remote_endpoint(ignored).address().to_string();
  // Answers are small and follow the handshake's last flight (and would follow TLS 1.3
  // tickets): with Nagle's algorithm the first one waits for the client's delayed ACK, 40 ms.
  socket.set_option(tcp::no_delay(true), ignored);
  TlsStream stream(beast::tcp_stream(std::move(socket)), tls);
  const auto registration = registry.streams.insert(registry.streams.end(), &stream);
  struct Unregister {
    Registry& registry;
    std::list<TlsStream*>::iterator it;
    ~Unregister() { registry.streams.erase(it); }
  } unregister{registry, registration};

  beast::get_lowest_layer(stream).expires_after(kHandshakeTimeout);
  auto [handshake_error] = co_await stream.async_handshake(asio::ssl::stream_base::server, kUseTuple);
  if (handshake_error) {
    spdlog::debug("TLS handshake from {} failed: {}", peer_ip, handshake_error.message());
    co_return;
  }

  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(max_body);
    beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
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
    beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
    auto [write_error, written] = co_await bhttp::async_write(stream, message, kUseTuple);
    (void)written;
    if (write_error || !keep_alive || registry.stopping) break;
  }
  if (registry.stopping) co_return;
  beast::get_lowest_layer(stream).expires_after(5s);
  co_await stream.async_shutdown(kUseTuple);
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, asio::ssl::context& tls, Services& services,
                                  asio::thread_pool& workers, Registry& registry, std::size_t max_body) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(kUseTuple);
    if (error == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (error) {
      // Out of descriptors and similar: log, breathe, go on.
      spdlog::warn("accept failed: {}", error.message());
      asio::steady_timer pause(acceptor.get_executor(), 100ms);
      co_await pause.async_wait(kUseTuple);
      continue;
    }
    asio::co_spawn(acceptor.get_executor(), run_session(std::move(socket), tls, services, workers, registry, max_body),
                   [](const std::exception_ptr& failure) {
                     if (!failure) return;
                     try {
                       std::rethrow_exception(failure);
                     } catch (const std::exception& e) {
                       spdlog::error("connection ended by an internal error: {}", e.what());
                     }
                   });
  }
}

// Records (and removes) the half-finished logins nobody came back to: without this an
// abandoned second step is recorded only if its cookie is presented again.
asio::awaitable<void> sweep_loop(asio::steady_timer& timer, Services& services, asio::thread_pool& workers,
                                 const Registry& registry, std::chrono::milliseconds interval) {
  while (!registry.stopping) {
    timer.expires_after(interval);
    auto [error] = co_await timer.async_wait(kUseTuple);
    if (error) co_return;  // cancelled: shutting down
    co_await asio::co_spawn(
        workers,
        [&]() -> asio::awaitable<void> {
          try {
            if (const int recorded = api::sweep_abandoned_logins(services))
              spdlog::info("recorded {} abandoned login(s) (LOGIN_INCOMPLETE)", recorded);
          } catch (const std::exception& e) {
            spdlog::error("session sweep failed (retried next interval): {}", e.what());
          }
          co_return;
        },
        asio::use_awaitable);
  }
}

void write_ready_file(const std::filesystem::path& file, const std::string& url) {
  const auto temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << url << "\n";
  }
  std::filesystem::rename(temporary, file);
}

}  // namespace

int run_server(Services& services, const ServerOptions& options) {
  const auto endpoint_text = net::parse_host_port(options.listen);
  if (!endpoint_text) {
    spdlog::error("listen address '{}' is not HOST:PORT", options.listen);
    return 2;
  }
  asio::ssl::context tls = tls::make_server_context(options.certificate, options.private_key);
  asio::io_context io(1);
  asio::thread_pool workers(static_cast<std::size_t>(options.worker_threads));

  boost::system::error_code ec;
  const auto address = asio::ip::make_address(endpoint_text->host, ec);
  if (ec) {
    spdlog::error("listen address '{}' is not an IP address: {}", endpoint_text->host, ec.message());
    return 2;
  }
  tcp::acceptor acceptor(io);
  const tcp::endpoint endpoint(address, endpoint_text->port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    spdlog::error("cannot listen on {}: {}", options.listen, ec.message());
    return 1;
  }
  const auto bound = acceptor.local_endpoint();
  const std::string host =
      bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string();
  const std::string url = "https://" + host + ":" + std::to_string(bound.port());

  uplink::DeviceListener devices(io, workers, services);
  std::string uplink_url;
  if (!options.device_listen.empty()) {
    try {
      uplink_url = devices.start({options.device_listen, options.certificate.string(), options.private_key.string(),
                                  options.device_heartbeat_s});
    } catch (const std::exception& error) {
      spdlog::error("{}", error.what());
      return 1;
    }
    if (!options.device_public_url.empty()) uplink_url = options.device_public_url;
  }
  services.set_identity(
      {options.public_url.empty() ? url : options.public_url, options.certificate_fingerprint, uplink_url});
  Registry registry;
  asio::steady_timer sweep_timer(io);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
    if (error) return;
    spdlog::info("signal {} received: shutting down", signal_number);
    registry.stopping = true;
    acceptor.close();
    sweep_timer.cancel();
    devices.stop();
    for (TlsStream* stream : registry.streams) beast::get_lowest_layer(*stream).cancel();
  });
  asio::co_spawn(io, accept_loop(acceptor, tls, services, workers, registry, options.max_body_bytes), asio::detached);
  asio::co_spawn(io,
                 sweep_loop(sweep_timer, services, workers, registry,
                            std::chrono::milliseconds(options.session_sweep_interval_ms)),
                 asio::detached);

  spdlog::info("listening on {}", url);
  if (!uplink_url.empty()) spdlog::info("listening for devices on {}", uplink_url);
  if (!options.ready_file.empty()) write_ready_file(options.ready_file, url + "\n" + uplink_url);
  io.run();
  workers.join();
  spdlog::info("stopped");
  return 0;
}

}  // namespace logbot::cloud::http
