// The HTTPS front end of logbot-cloud (Boost.Beast over OpenSSL): accepts connections,
// reads requests with size limits and timeouts, hands them to the dispatcher on a worker
// pool and writes the answers. Stops cleanly on SIGINT/SIGTERM.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace logbot::cloud {
struct Services;
}

namespace logbot::cloud::http {

struct ServerOptions {
  std::string listen;  // HOST:PORT; port 0 picks a free one
  std::filesystem::path certificate;
  std::filesystem::path private_key;
  int worker_threads = 2;
  std::size_t max_body_bytes = std::size_t{1024} * 1024;
  std::filesystem::path ready_file;  // if set, receives the base URL once listening
  std::string public_url;            // how agents reach us; empty: the address bound
  std::string certificate_fingerprint;
  std::string device_listen;         // the devices' mTLS uplink listener; empty: none
  std::string device_public_url;     // wss://... announced to agents; empty: the address bound
  int device_heartbeat_s = 10;
  std::int64_t session_sweep_interval_ms = 60'000;  // api::sweep_abandoned_logins
};

// Blocks until a termination signal; returns the process exit code.
int run_server(Services& services, const ServerOptions& options);

}  // namespace logbot::cloud::http
