#include "cloud/http/security_headers.hpp"

namespace logbot::cloud::http {

void add_security_headers(Response& response) {
  response.set_header("Content-Security-Policy", kContentSecurityPolicy);
  response.set_header("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  response.set_header("X-Frame-Options", "DENY");
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Referrer-Policy", "no-referrer");
  response.set_header("Cross-Origin-Opener-Policy", "same-origin");
  response.set_header("Cross-Origin-Resource-Policy", "same-origin");
  response.set_header("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
  if (!response.has_header("Cache-Control")) response.set_header("Cache-Control", "no-store");
}

}  // namespace logbot::cloud::http
