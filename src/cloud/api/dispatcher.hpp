// The request pipeline: route lookup, authentication, CSRF, tenant and permission checks
// (the only place they are made), the handler, then security headers on every response.
#pragma once
#include "cloud/http/http_message.hpp"

namespace logbot::cloud {
struct Services;
}

namespace logbot::cloud::api {

http::Response dispatch(Services& services, const http::Request& request);

}  // namespace logbot::cloud::api
