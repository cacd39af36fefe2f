// Headers that every response carries: CSP without inline script, HSTS, framing and
// sniffing protection, no referrer.
#pragma once
#include "cloud/http/http_message.hpp"

namespace logbot::cloud::http {

inline constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

void add_security_headers(Response& response);

}  // namespace logbot::cloud::http
