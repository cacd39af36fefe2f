// The HTTPS listener of logbot-cloud (Boost.Beast over OpenSSL): accepts connections, reads
// requests with size limits and timeouts, hands them to the dispatcher on the worker pool and
// writes the answers. One of the process's listeners (cloud/process/cloud_process.hpp owns the
// I/O thread, the pool and the signals); it mirrors uplink::DeviceListener.
#pragma once
#include <cstddef>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "cloud/config/timeouts.hpp"

namespace boost::asio {
class io_context;
class thread_pool;
}  // namespace boost::asio

namespace logbot::cloud {
struct Services;
}

namespace logbot::cloud::http {

struct HttpsListenerOptions {
  std::string listen;  // IP:PORT; port 0 picks a free one
  std::filesystem::path certificate;
  std::filesystem::path private_key;
  std::size_t max_body_bytes = std::size_t{1024} * 1024;
  HttpTimeouts timeouts;
};

// The address cannot be bound (in use, not ours, not allowed).
class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class HttpsListener {
 public:
  HttpsListener(boost::asio::io_context& io, boost::asio::thread_pool& workers, Services& services);
  ~HttpsListener();
  // Loads the certificate (std::runtime_error naming the file), binds (ListenError) and starts
  // accepting; returns the base URL https://HOST:PORT as bound.
  std::string start(const HttpsListenerOptions& options);
  // Stops accepting and cancels every connection, kept-alive ones included (on the I/O thread).
  void stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace logbot::cloud::http
