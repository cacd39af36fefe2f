#include "cloud/uplink/device_listener.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <list>
#include <optional>

#include "cloud/process/accept_loop.hpp"
#include "cloud/services.hpp"
#include "cloud/uplink/device_session.hpp"
#include "common/net/address.hpp"
#include "common/protocol/envelope_codec.hpp"
#include "common/tls/tls_context.hpp"
#include "common/tls/x509_util.hpp"

// GCC 12 reports -Wmismatched-new-delete inside Asio's awaitable frame allocator (a known false
// positive, as in https_client.cpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace logbot::cloud::uplink {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr const char* kPath = "/api/v1/devices/uplink";

// The device a client certificate speaks for: its organisation (O), UUID (CN) and serial.
std::optional<devices::PresentedCertificate> peer_certificate(SSL* ssl) {
  tls::X509Ptr cert(SSL_get1_peer_certificate(ssl));
  if (!cert) return std::nullopt;
  char common_name[128] = {};
  char organisation[128] = {};
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (X509_NAME_get_text_by_NID(subject, NID_commonName, common_name, sizeof common_name) <= 0 ||
      X509_NAME_get_text_by_NID(subject, NID_organizationName, organisation, sizeof organisation) <= 0)
    return std::nullopt;
  return devices::PresentedCertificate{organisation, common_name, tls::serial_hex(cert.get()),
                                       tls::epoch_ms(X509_get0_notAfter(cert.get())).value_or(0)};
}

}  // namespace

struct DeviceListener::State : std::enable_shared_from_this<DeviceListener::State> {
  State(asio::io_context& io_in, asio::thread_pool& workers_in, Services& services_in)
      : io(io_in), workers(workers_in), services(services_in), acceptor(io_in), stop_signal(io_in) {
    stop_signal.expires_at(asio::steady_timer::time_point::max());
  }

  asio::io_context& io;
  asio::thread_pool& workers;
  Services& services;
  tcp::acceptor acceptor;
  std::optional<asio::ssl::context> tls;
  DeviceListenerOptions options;
  // Every session waits on it; stop() sets it into the past, which wakes the waiting ones and
  // any that start waiting later.
  asio::steady_timer stop_signal;
  bool stopping = false;
  std::list<beast::tcp_stream*> handshaking;  // connections not yet a session

  asio::awaitable<void> connection(tcp::socket socket);
};

// TLS, the certificate check and the upgrade, within the handshake timeout; then the session.
asio::awaitable<void> DeviceListener::State::connection(tcp::socket socket) {
  auto self = shared_from_this();
  boost::system::error_code ignored;
  const std::string peer_ip = socket.remote_endpoint(ignored).address().to_string();
  // Small frames both ways (answers, heartbeats, refusals): no Nagle delay.
  socket.set_option(tcp::no_delay(true), ignored);
  DeviceSocket ws(asio::ssl::stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls));
  auto& tcp_layer = beast::get_lowest_layer(ws);
  // Listed for stop() until the session takes the socket over, or the connection ends.
  struct Handshaking {
    std::list<beast::tcp_stream*>& list;
    std::optional<std::list<beast::tcp_stream*>::iterator> entry;
    void release() {
      if (entry) list.erase(*entry);
      entry.reset();
    }
    ~Handshaking() { release(); }
  } listed{handshaking, handshaking.insert(handshaking.end(), &tcp_layer)};
  if (stopping) co_return;

  tcp_layer.expires_after(options.handshake_timeout);
  // The handshake fails here for a missing client certificate or one of another CA.
  if (auto [ec] = co_await ws.next_layer().async_handshake(asio::ssl::stream_base::server, kUseTuple); ec) {
    spdlog::info("device listener: TLS handshake from {} refused: {}", peer_ip, ec.message());
    co_return;
  }
  const auto certificate = peer_certificate(ws.next_layer().native_handle());
  devices::Result<Device> device = fail(devices::ErrorCode::unknown_certificate, "no device certificate");
  if (certificate)
    device = co_await asio::co_spawn(
        workers,
        [&]() -> asio::awaitable<devices::Result<Device>> {
          co_return devices::authenticate(services, *certificate, peer_ip);
        },
        asio::use_awaitable);
  if (!device) {
    // Revoked, superseded by a confirmed renewal, or unknown: refused before any WebSocket traffic.
    spdlog::info("device listener: certificate of {} ({}) is not a current device certificate: closed", peer_ip,
                 certificate ? certificate->uuid : std::string("?"));
    co_await ws.next_layer().async_shutdown(kUseTuple);
    co_return;
  }

  beast::flat_buffer buffer;
  beast::http::request<beast::http::string_body> upgrade;
  if (auto [ec, n] = co_await beast::http::async_read(ws.next_layer(), buffer, upgrade, kUseTuple);
      ec || upgrade.target() != kPath || !websocket::is_upgrade(upgrade)) {
    (void)n;
    co_return;
  }
  tcp_layer.expires_never();
  ws.set_option(
      websocket::stream_base::timeout{options.handshake_timeout, std::chrono::seconds(3 * options.heartbeat_s), false});
  if (auto [ec] = co_await ws.async_accept(upgrade, kUseTuple); ec) co_return;
  listed.release();
  if (stopping) co_return;

  SessionOptions session_options;
  session_options.heartbeat = std::chrono::seconds(options.heartbeat_s);
  session_options.write_timeout = options.write_timeout;
  session_options.close_timeout = options.close_timeout;
  auto session = std::make_shared<DeviceSession>(std::move(ws), services, workers, *certificate, std::move(*device),
                                                 peer_ip, session_options);
  co_await session->run(stop_signal);
}

DeviceListener::DeviceListener(asio::io_context& io, asio::thread_pool& workers, Services& services)
    : state_(std::make_shared<State>(io, workers, services)) {}

DeviceListener::~DeviceListener() = default;

std::string DeviceListener::start(const DeviceListenerOptions& options) {
  const auto endpoint_text = net::parse_host_port(options.listen);
  if (!endpoint_text) throw std::runtime_error("device_listen '" + options.listen + "' is not IP:PORT");
  if (!state_->services.device_ca) throw std::runtime_error("the device CA is not loaded");
  state_->tls.emplace(tls::make_mutual_server_context(options.certificate, options.private_key,
                                                      state_->services.device_ca->certificate_pem()));
  state_->options = options;
  boost::system::error_code ec;
  const tcp::endpoint endpoint(asio::ip::make_address(endpoint_text->host, ec), endpoint_text->port);
  if (ec) throw std::runtime_error("device_listen '" + options.listen + "' is not an IP address");
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen for devices on " + options.listen + ": " + ec.message());
  const auto bound = acceptor.local_endpoint();
  const std::string host =
      bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string();
  // The loop holds the state (and so the acceptor) as long as it runs.
  asio::co_spawn(
      state_->io,
      process::accept_connections(
          state_->acceptor, state_->io,
          [state = state_](tcp::socket socket) { return state->connection(std::move(socket)); }, "device connection"),
      asio::detached);
  return "wss://" + host + ":" + std::to_string(bound.port()) + kPath;
}

void DeviceListener::stop() {
  state_->stopping = true;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  for (beast::tcp_stream* stream : state_->handshaking) stream->cancel();
  state_->stop_signal.expires_at(asio::steady_timer::time_point::min());
}

}  // namespace logbot::cloud::uplink

#pragma GCC diagnostic pop
