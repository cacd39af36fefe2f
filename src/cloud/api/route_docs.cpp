// Renders the route table for people (docs/API.md) and for tests (JSON).
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "cloud/api/routes.hpp"

namespace logbot::cloud::api {
namespace {

std::string who_may(const Route& route) {
  switch (route.access) {
    case Access::kPublic: return "anyone";
    case Access::kSession: return "logged-in user (own data)";
    case Access::kOperator: return "platform operator";
    case Access::kOperatorOrLoopback: return "platform operator, or a loopback caller";
    case Access::kOrg: {
      std::string roles;
      for (Role role : kAllRoles) {
        if (route.permission && !allows(role, *route.permission)) continue;
        if (!roles.empty()) roles += ", ";
        roles += to_string(role);
      }
      return "member (" + roles + ")";
    }
  }
  return "";
}

}  // namespace

std::string routes_markdown() {
  std::string out =
      "# Logbot cloud HTTP API\n\n"
      "Generated from the server's route table by `logbot-cloud routes`; a test fails when this file\n"
      "and the table differ. Conventions (JSON bodies, errors, cookies, CSRF) are in `docs/SECURITY.md`.\n\n"
      "- Requests with a body send `Content-Type: application/json`.\n"
      "- Errors: `{\"error\": CODE, \"message\": TEXT}` with 400, 401 (not logged in), 403 (`csrf` or\n"
      "  `forbidden`), 404 (`not_found`, also for objects of another organisation), 409, 415, 429 (`locked`).\n"
      "- State-changing requests of a session carry `X-CSRF-Token` (from login or `GET /api/v1/me`).\n"
      "- `X-Logbot-Client: cli` marks a request of the `logbot` CLI in the audit log.\n\n"
      "| Method | Path | Access | Permission | Who may call | Summary |\n"
      "|---|---|---|---|---|---|\n";
  for (const Route& route : routes()) {
    out += "| " + std::string(route.method) + " | `" + std::string(route.path) + "` | " +
           std::string(to_string(route.access)) + " | " +
           (route.permission ? std::string(to_string(*route.permission)) : std::string("-")) + " | " + who_may(route) +
           " | " + std::string(route.summary) + " |\n";
  }
  return out;
}

std::string routes_json() {
  boost::json::array out;
  for (const Route& route : routes()) {
    boost::json::object o;
    o["method"] = route.method;
    o["path"] = route.path;
    o["access"] = to_string(route.access);
    if (route.permission) {
      o["permission"] = to_string(*route.permission);
      o["write"] = is_write(*route.permission);
    } else {
      o["permission"] = nullptr;
      o["write"] = route.method != "GET";
    }
    o["summary"] = route.summary;
    out.push_back(std::move(o));
  }
  return boost::json::serialize(out);
}

}  // namespace logbot::cloud::api
