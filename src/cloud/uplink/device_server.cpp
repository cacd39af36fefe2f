#include "cloud/uplink/device_server.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <list>

#include "cloud/db/database.hpp"
#include "cloud/services.hpp"
#include "common/net/address.hpp"
#include "common/protocol/envelope_codec.hpp"
#include "common/protocol/uplink.pb.h"
#include "common/tls/tls_context.hpp"
#include "common/tls/x509_util.hpp"
#include "common/version.hpp"

namespace logbot::cloud::uplink {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<beast::tcp_stream>;
using WebSocket = websocket::stream<TlsStream>;
using namespace std::chrono_literals;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr const char* kPath = "/api/v1/devices/uplink";

// The device a client certificate speaks for: its organisation (O), UUID (CN) and serial.
struct PeerCertificate {
  std::string org_id;
  std::string uuid;
  std::string serial;
};

std::optional<PeerCertificate> peer_certificate(SSL* ssl) {
  tls::X509Ptr cert(SSL_get1_peer_certificate(ssl));
  if (!cert) return std::nullopt;
  char common_name[128] = {};
  char organisation[128] = {};
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (X509_NAME_get_text_by_NID(subject, NID_commonName, common_name, sizeof common_name) <= 0 ||
      X509_NAME_get_text_by_NID(subject, NID_organizationName, organisation, sizeof organisation) <= 0)
    return std::nullopt;
  BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr);
  char* hex = BN_bn2hex(number);
  std::string serial(hex);
  OPENSSL_free(hex);
  BN_free(number);
  for (char& c : serial) c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  // BN_bn2hex drops leading zeros; the CA writes 16-byte serials as 32 hex digits.
  while (serial.size() < 32) serial.insert(serial.begin(), '0');
  return PeerCertificate{organisation, common_name, serial};
}

}  // namespace

struct DeviceListener::State : std::enable_shared_from_this<DeviceListener::State> {
  State(asio::io_context& io_in, asio::thread_pool& workers_in, Services& services_in)
      : io(io_in), workers(workers_in), services(services_in), acceptor(io_in) {}

  asio::io_context& io;
  asio::thread_pool& workers;
  Services& services;
  tcp::acceptor acceptor;
  std::optional<asio::ssl::context> tls;
  int heartbeat_s = 10;
  bool stopping = false;
  std::list<WebSocket*> sockets;

  // Runs blocking work (database, signing) on the worker pool and resumes here.
  template <typename F>
  asio::awaitable<std::invoke_result_t<F>> on_workers(F work) {
    co_return co_await asio::co_spawn(
        workers, [work = std::move(work)]() -> asio::awaitable<std::invoke_result_t<F>> { co_return work(); },
        asio::use_awaitable);
  }

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> session(tcp::socket socket);
};

asio::awaitable<void> DeviceListener::State::accept_loop() {
  auto self = shared_from_this();
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(kUseTuple);
    if (error == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (error) {
      spdlog::warn("device listener: accept failed: {}", error.message());
      asio::steady_timer pause(io, 100ms);
      co_await pause.async_wait(kUseTuple);
      continue;
    }
    asio::co_spawn(io, session(std::move(socket)), [](const std::exception_ptr& failure) {
      if (!failure) return;
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        spdlog::error("device connection ended by an internal error: {}", e.what());
      }
    });
  }
}

asio::awaitable<void> DeviceListener::State::session(tcp::socket socket) {
  auto self = shared_from_this();
  boost::system::error_code ignored;
  const std::string peer_ip = socket.remote_endpoint(ignored).address().to_string();
  // Small frames both ways (acknowledgements, heartbeats, refusals): no Nagle delay.
  socket.set_option(tcp::no_delay(true), ignored);
  WebSocket ws(TlsStream(beast::tcp_stream(std::move(socket)), *tls));
  const auto registration = sockets.insert(sockets.end(), &ws);
  struct Unregister {
    std::list<WebSocket*>& sockets;
    std::list<WebSocket*>::iterator it;
    ~Unregister() { sockets.erase(it); }
  } unregister{sockets, registration};

  auto& tcp_layer = beast::get_lowest_layer(ws);
  tcp_layer.expires_after(10s);
  // The handshake fails here for a missing client certificate or one of another CA.
  if (auto [ec] = co_await ws.next_layer().async_handshake(asio::ssl::stream_base::server, kUseTuple); ec) {
    spdlog::info("device listener: TLS handshake from {} refused: {}", peer_ip, ec.message());
    co_return;
  }
  const auto certificate = peer_certificate(ws.next_layer().native_handle());
  std::optional<Device> device;
  if (certificate)
    device = co_await on_workers(
        [&] { return services.devices.find_by_certificate(certificate->org_id, certificate->uuid, certificate->serial); });
  if (!device) {
    // Revoked, superseded by a renewal, or unknown: refused before any WebSocket traffic.
    spdlog::info("device listener: certificate of {} ({}) is not a current device certificate: closed", peer_ip,
                 certificate ? certificate->uuid : std::string("?"));
    co_await ws.next_layer().async_shutdown(kUseTuple);
    co_return;
  }

  beast::flat_buffer buffer;
  boost::beast::http::request<boost::beast::http::string_body> upgrade;
  if (auto [ec, n] = co_await boost::beast::http::async_read(ws.next_layer(), buffer, upgrade, kUseTuple);
      ec || upgrade.target() != kPath || !websocket::is_upgrade(upgrade)) {
    (void)n;
    co_return;
  }
  tcp_layer.expires_never();
  ws.set_option(websocket::stream_base::timeout{10s, std::chrono::seconds(3 * heartbeat_s), false});
  ws.read_message_max(protocol::kMaximumEnvelopeBytes);
  ws.binary(true);
  if (auto [ec] = co_await ws.async_accept(upgrade, kUseTuple); ec) co_return;

  // Revocation or a newer connection of the same device closes this one from any thread.
  // The close request may arrive after this session ended: it runs on this I/O thread and
  // touches the socket only while the session is alive.
  // The agent is told why (Refusal) before the WebSocket closes. Beast allows one write
  // beside the pending read: the request writes at once unless the session is writing, in
  // which case the session sends it right after its own write.
  struct CloseRequest {
    std::string reason;
    bool alive = true;
    bool writing = false;
    bool closing = false;
    std::string message;  // the serialised Refusal, kept alive for the write
  };
  auto close_request = std::make_shared<CloseRequest>();
  auto executor = ws.get_executor();
  auto refuse_and_close = [](const std::shared_ptr<CloseRequest>& request, WebSocket& socket) {
    logbot::uplink::Envelope out;
    out.mutable_refusal()->set_code_text(request->reason);
    out.mutable_refusal()->set_message(request->reason == "superseded"
                                           ? "the device connected again; this connection ends"
                                           : "the device was revoked: this certificate is no longer accepted");
    request->message = protocol::encode_envelope(out);
    request->closing = true;
    socket.async_write(asio::buffer(request->message), [request, &socket](boost::system::error_code ec, std::size_t) {
      if (!request->alive) return;
      if (ec) {
        beast::get_lowest_layer(socket).cancel();
        return;
      }
      socket.async_close(websocket::close_code::policy_error, [request](boost::system::error_code) {});
    });
  };
  const std::uint64_t handle = services.device_connections.add(
      device->id, [executor, close_request, &ws, refuse_and_close](std::string_view reason) {
        asio::post(executor, [close_request, &ws, refuse_and_close, why = std::string(reason)] {
          if (!close_request->alive || close_request->closing) return;
          if (close_request->reason.empty()) close_request->reason = why;
          if (!close_request->writing) refuse_and_close(close_request, ws);
        });
      });
  struct Forget {
    DeviceConnections& connections;
    std::string device_id;
    std::uint64_t handle;
    std::shared_ptr<CloseRequest> request;
    ~Forget() {
      request->alive = false;
      connections.remove(device_id, handle);
    }
  } forget{services.device_connections, device->id, handle, close_request};

  auto send = [&](const logbot::uplink::Envelope& envelope) -> asio::awaitable<bool> {
    if (close_request->closing) co_return false;
    close_request->writing = true;
    auto [ec, n] = co_await ws.async_write(asio::buffer(protocol::encode_envelope(envelope)), kUseTuple);
    (void)n;
    close_request->writing = false;
    // A close request that came in during the write is carried out now.
    if (!ec && !close_request->reason.empty() && !close_request->closing) refuse_and_close(close_request, ws);
    co_return !ec && !close_request->closing;
  };

  bool greeted = false;
  for (;;) {
    buffer.clear();
    auto [ec, n] = co_await ws.async_read(buffer, kUseTuple);
    (void)n;
    if (ec) break;
    auto decoded =
        protocol::decode_envelope(std::string_view(static_cast<const char*>(buffer.data().data()), buffer.size()));
    if (!decoded && decoded.error() == protocol::EnvelopeError::no_body) continue;  // a newer agent's message kind
    if (!decoded) {
      logbot::uplink::Envelope out;
      out.mutable_refusal()->set_code_text("bad_message");
      out.mutable_refusal()->set_message(decoded.error().message());
      co_await send(out);
      break;
    }
    const logbot::uplink::Envelope& in = *decoded;
    if (!greeted) {
      if (!in.has_hello() || in.hello().device_uuid() != certificate->uuid) {
        logbot::uplink::Envelope out;
        out.mutable_refusal()->set_code_text("bad_hello");
        out.mutable_refusal()->set_message("the first message must be Hello with the certificate's device UUID");
        co_await send(out);
        break;
      }
      const std::string version = in.hello().agent_version();
      co_await on_workers([&] {
        services.devices.record_contact(device->id, version, peer_ip);
        return 0;
      });
      logbot::uplink::Envelope out;
      auto* ack = out.mutable_hello_ack();
      ack->set_device_id(device->id);
      ack->set_org_id(device->org_id);
      ack->set_heartbeat_interval_s(static_cast<unsigned>(heartbeat_s));
      ack->set_certificate_expires_ms(device->certificate_not_after_ms.value_or(0));
      if (!co_await send(out)) break;
      greeted = true;
      spdlog::info("device {} ({}) connected from {} (agent {})", device->name, device->id, peer_ip, version);
      continue;
    }
    if (in.has_heartbeat()) {
      co_await on_workers([&] {
        services.devices.record_heartbeat(device->id);
        return 0;
      });
    } else if (in.has_renew_request()) {
      const std::string csr = in.renew_request().csr_pem();
      logbot::uplink::Envelope out = co_await on_workers([&] {
        logbot::uplink::Envelope answer;
        const auto issued = services.device_ca->issue(csr, certificate->uuid, device->org_id,
                                                      services.config.device_certificate_lifetime());
        if (const auto* refused = std::get_if<CsrRefusal>(&issued)) {
          answer.mutable_refusal()->set_code_text(refused->code);
          answer.mutable_refusal()->set_message(refused->message);
          return answer;
        }
        const auto& renewed = std::get<IssuedCertificate>(issued);
        Transaction tx(*services.db);
        services.devices.replace_certificate(device->id, renewed.serial, renewed.not_after_ms);
        AuditRecord record;
        record.code = AuditCode::kDeviceCertRenewed;
        record.actor_type = ActorType::kDevice;
        record.org_id = device->org_id;
        record.ip = peer_ip;
        record.client = "agent";
        record.details = {{"device", device->name},
                          {"uuid", certificate->uuid},
                          {"serial_before", certificate->serial},
                          {"serial", renewed.serial}};
        services.audit.append(record);
        tx.commit();
        auto* response = answer.mutable_renew_response();
        response->set_certificate_pem(renewed.certificate_pem);
        response->set_ca_chain_pem(services.device_ca->certificate_pem());
        response->set_expires_ms(renewed.not_after_ms);
        return answer;
      });
      if (!co_await send(out)) break;
    }
  }
  spdlog::info("device {} ({}) disconnected{}", device->name, device->id,
               close_request->reason.empty() ? "" : " (" + close_request->reason + ")");
  if (!stopping && !close_request->closing) {
    beast::get_lowest_layer(ws).expires_after(2s);
    co_await ws.async_close(websocket::close_code::normal, kUseTuple);
  }
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
  state_->heartbeat_s = options.heartbeat_s;
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
  asio::co_spawn(state_->io, state_->accept_loop(), asio::detached);
  return "wss://" + host + ":" + std::to_string(bound.port()) + kPath;
}

void DeviceListener::stop() {
  state_->stopping = true;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  for (WebSocket* ws : state_->sockets) beast::get_lowest_layer(*ws).cancel();
}

}  // namespace logbot::cloud::uplink
