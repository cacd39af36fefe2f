#include "cloud/process/cloud_process.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <fstream>
#include <string>

#include "cloud/api/abandoned_logins.hpp"
#include "cloud/config/cloud_config.hpp"
#include "cloud/http/server.hpp"
#include "cloud/services.hpp"
#include "cloud/uplink/device_listener.hpp"
#include "common/tls/self_signed.hpp"
#include "common/version.hpp"

namespace logbot::cloud::process {
namespace {

namespace asio = boost::asio;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// The certificate both listeners present, and its fingerprint (enrolment tokens carry it:
// agents pin the cloud by it on first contact).
struct ServerCertificate {
  std::filesystem::path certificate;
  std::filesystem::path private_key;
  std::string fingerprint;
};

ServerCertificate server_certificate(const CloudConfig& config) {
  ServerCertificate result;
  if (config.tls_cert.empty()) {
    const auto paths = tls::ensure_self_signed_certificate(config.data_dir / "tls");
    result.certificate = paths.certificate;
    result.private_key = paths.private_key;
  } else {
    result.certificate = config.tls_cert;
    result.private_key = config.tls_key;
  }
  result.fingerprint = tls::certificate_sha256_fingerprint(result.certificate);
  return result;
}

// Records (and removes) the half-finished logins nobody came back to: without this an
// abandoned second step is recorded only if its cookie is presented again.
asio::awaitable<void> sweep_loop(asio::steady_timer& timer, Services& services, asio::thread_pool& workers,
                                 std::chrono::milliseconds interval, const bool& stopping) {
  // A signal during a sweep finds no wait to cancel: the flag ends the loop then.
  while (!stopping) {
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

void write_ready_file(const std::filesystem::path& file, const std::string& text) {
  const auto temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text << "\n";
  }
  std::filesystem::rename(temporary, file);
}

}  // namespace

int serve(const CloudConfig& config, const Clock& clock, const ServeOptions& options) {
  auto services = open_services(config, clock);
  if (services->web.size() == 0) spdlog::warn("no web console files found in {}", config.web_dir.string());
  const ServerCertificate certificate = server_certificate(config);
  spdlog::info("TLS certificate {} (SHA-256 fingerprint {})", certificate.certificate.string(),
               certificate.fingerprint);
  spdlog::info("logbot-cloud {} data directory {}", kVersion, config.data_dir.string());

  asio::io_context io(1);
  asio::thread_pool workers(static_cast<std::size_t>(config.worker_threads));

  // The listeners, peers of one another. Each: constructed on (io, workers, services), start()
  // returns its URL, stop() ends its connections.
  http::HttpsListener https(io, workers, *services);
  uplink::DeviceListener devices(io, workers, *services);

  std::string url;
  try {
    url = https.start(
        {config.listen, certificate.certificate, certificate.private_key, config.max_body_bytes, config.http});
  } catch (const http::ListenError& error) {
    spdlog::error("{}", error.what());
    return 1;
  } catch (const ConfigError& error) {
    spdlog::error("{}", error.what());
    return 2;
  }
  std::string uplink_url;
  if (const std::string device_listen = config.effective_device_listen(); !device_listen.empty()) {
    uplink::DeviceListenerOptions device_options;
    device_options.listen = device_listen;
    device_options.certificate = certificate.certificate.string();
    device_options.private_key = certificate.private_key.string();
    device_options.heartbeat_s = config.device_heartbeat_s;
    device_options.handshake_timeout = config.device_timeouts.handshake;
    device_options.close_timeout = config.device_timeouts.close;
    device_options.write_timeout = config.device_timeouts.write;
    try {
      uplink_url = devices.start(device_options);
    } catch (const std::exception& error) {
      spdlog::error("{}", error.what());
      return 1;
    }
    if (!config.device_public_url.empty()) uplink_url = config.device_public_url;
  }
  services->set_identity({config.public_url.empty() ? url : config.public_url, certificate.fingerprint, uplink_url});

  bool stopping = false;
  asio::steady_timer sweep_timer(io);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
    if (error) return;
    spdlog::info("signal {} received: shutting down", signal_number);
    stopping = true;
    https.stop();
    sweep_timer.cancel();
    devices.stop();
  });
  asio::co_spawn(io,
                 sweep_loop(sweep_timer, *services, workers,
                            std::chrono::milliseconds(config.session.sweep_interval_ms), stopping),
                 asio::detached);

  spdlog::info("listening on {}", url);
  if (!uplink_url.empty()) spdlog::info("listening for devices on {}", uplink_url);
  if (!options.ready_file.empty()) write_ready_file(options.ready_file, url + "\n" + uplink_url);
  io.run();
  workers.join();
  spdlog::info("stopped");
  return 0;
}

}  // namespace logbot::cloud::process
