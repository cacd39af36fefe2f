// The HTTPS client of the CLI and the agent: one verified TLS connection per request, JSON in
// and out, and the session credentials (cookie `__Host-logbot_session`, CSRF token) the server
// hands out. Synchronous for its callers; inside, an Asio coroutine with a timeout on every step.
//
// Two ways to verify the server: against certificate authorities plus the URL's host (the CLI),
// or "pinned" to the SHA-256 of the server's leaf certificate (the agent's enrolment, where the
// fingerprint arrives in the enrolment token and there is nothing to trust yet).
#pragma once
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/net/error.hpp"
#include "common/net/url_and_cookie.hpp"

namespace logbot::net {

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
  // Certificate-authority mode (pinned_fingerprint empty): the PEM file that is the whole trust,
  // or empty for the system trust store; the certificate must name the URL's host.
  std::string ca_file;
  // Pinned mode: 64 lower-case hex characters, the SHA-256 of the server's leaf certificate DER.
  // Certificate authorities and host names are not consulted: the pin is the whole trust.
  std::string pinned_fingerprint;
  std::chrono::milliseconds timeout = kDefaultTimeout;
  // Sent as User-Agent ("<product>/<version>") and X-Logbot-Client (which the audit log records).
  std::string product = "logbot-cli";
  std::string client_marker = "cli";
};

class HttpsClient {
 public:
  // Fails on a malformed URL (bad_url), an unreadable CA file or a malformed pin (tls_failed), or both
  // a pin and a CA file (bad_input); does not connect yet.
  static Result<HttpsClient> create(const ClientOptions& options);

  HttpsClient(HttpsClient&&) noexcept;
  HttpsClient& operator=(HttpsClient&&) noexcept;
  ~HttpsClient();

  // A transport failure (name_not_resolved, unreachable, tls_failed, pin_mismatch, timeout,
  // bad_response) is an error; any HTTP status is a response.
  Result<HttpResponse> get(std::string_view target);
  Result<HttpResponse> post(std::string_view target, const boost::json::value* body = nullptr);

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

}  // namespace logbot::net
