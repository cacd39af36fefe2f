// The CLI's HTTPS client: one verified TLS connection per request, JSON in and out, and the
// session credentials (cookie `__Host-logbot_session`, CSRF token) the server hands out.
// Synchronous for its callers; inside, an Asio coroutine with a timeout on every step.
#pragma once
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cli/cli_error.hpp"
#include "cli/url_and_cookie.hpp"

namespace logbot::cli {

inline constexpr std::chrono::seconds kDefaultTimeout{15};

struct HttpResponse {
  unsigned status = 0;
  std::string body;
  std::optional<boost::json::value> json;  // set when the body is JSON

  bool ok() const { return status >= 200 && status < 300; }
  // The API's {"error": CODE} and {"message": TEXT}; empty when absent.
  std::string error_code() const;
  std::string error_message() const;
  // A string member of a JSON object body; empty when absent.
  std::string string_field(std::string_view name) const;
};

struct ClientOptions {
  std::string url;
  std::string ca_file;  // empty: the system trust store
  std::chrono::milliseconds timeout = kDefaultTimeout;
};

class HttpsClient {
 public:
  // Fails on a malformed URL or an unreadable CA file; does not connect yet.
  static CliResult<HttpsClient> create(const ClientOptions& options);

  HttpsClient(HttpsClient&&) noexcept;
  HttpsClient& operator=(HttpsClient&&) noexcept;
  ~HttpsClient();

  // A transport failure (connect, TLS, timeout) is an error; any HTTP status is a response.
  CliResult<HttpResponse> get(std::string_view target);
  CliResult<HttpResponse> post(std::string_view target, const boost::json::value* body = nullptr);

  // Sent as Cookie / X-CSRF-Token (the latter on non-GET requests); the cookie follows Set-Cookie.
  const std::string& session_cookie() const;
  void set_session_cookie(std::string cookie);
  const std::string& csrf_token() const;
  void set_csrf_token(std::string token);
  const ServerUrl& server() const;

 private:
  struct Impl;
  explicit HttpsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace logbot::cli
