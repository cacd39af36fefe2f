// The one route table: the server dispatches through it, `logbot-cloud routes` prints it
// (docs/API.md is generated from it) and the cross-tenant test walks it.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cloud/api/request_context.hpp"
#include "cloud/authz/permissions.hpp"
#include "cloud/http/http_message.hpp"

namespace logbot::cloud::api {

// Who may call a route. The dispatcher enforces it before any handler runs.
enum class Access {
  kPublic,              // anyone
  kSession,             // a logged-in user, acting on their own account
  kOrg,                 // a member of the organisation {org_id} holding `permission`
  kOperator,            // the platform operator (no tenant data)
  kOperatorOrLoopback,  // the operator, or any caller on the loopback interface (monitoring)
};

using Handler = http::Response (*)(RequestContext&);

// Which half-finished logins may call a route (all others need a full session).
enum Partial : std::uint8_t {
  kFullOnly = 0,
  kDuringTotp = 1,       // password done, second factor pending
  kDuringEnrolment = 2,  // password done, the second factor was reset and none is enrolled yet
  kDuringEither = kDuringTotp | kDuringEnrolment,
};

struct Route {
  std::string_view method;
  std::string_view path;
  Access access;
  std::optional<Permission> permission;
  std::string_view summary;
  Handler handler;
  std::uint8_t partial = kFullOnly;
};

std::span<const Route> routes();
std::string_view to_string(Access access);

// docs/API.md and `logbot-cloud routes --json`.
std::string routes_markdown();
std::string routes_json();

}  // namespace logbot::cloud::api
