// The CLI's names for the shared parsing of the server URL and of Set-Cookie headers, which
// moved to common/net with the HTTPS client (the fuzz target cli_response_fuzz includes this).
#pragma once
#include "cli/cli_error.hpp"
#include "common/net/url_and_cookie.hpp"

namespace logbot::cli {

using net::kSessionCookieName;
using net::parse_server_url;
using net::parse_session_set_cookie;
using net::ServerUrl;
using net::SessionCookieUpdate;
using net::starts_with_ignoring_case;

}  // namespace logbot::cli
