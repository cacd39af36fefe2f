#include "cloud/api/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include "cloud/api/abandoned_logins.hpp"
#include "cloud/api/routes.hpp"
#include "cloud/http/cookies.hpp"
#include "cloud/http/security_headers.hpp"
#include "cloud/services.hpp"
#include "common/crypto/constant_time.hpp"
#include "common/net/address.hpp"

namespace logbot::cloud::api {
namespace {

bool is_state_changing(std::string_view method) {
  return method != "GET" && method != "HEAD";
}

std::string client_kind(const http::Request& request) {
  return request.header("x-logbot-client") == "cli" ? "cli" : "web";
}

// A login form posted from another site is refused (login CSRF); browsers send Origin on
// every cross-origin POST and Sec-Fetch-Site on every request.
bool is_cross_site(const http::Request& request) {
  const std::string_view fetch_site = request.header("sec-fetch-site");
  if (fetch_site == "cross-site" || fetch_site == "same-site") return true;
  const std::string_view origin = request.header("origin");
  if (origin.empty()) return false;
  return origin != "https://" + std::string(request.header("host"));
}

struct Found {
  const Route* route = nullptr;
  bool path_matched = false;
  http::PathParams params;
};

Found find_route(const http::Request& request) {
  Found found;
  http::PathParams params;
  for (const Route& route : routes()) {
    if (!http::match_path(route.path, request.path, params)) continue;
    found.path_matched = true;
    if (route.method == request.method || (request.method == "HEAD" && route.method == "GET")) {
      found.route = &route;
      found.params = params;
      return found;
    }
  }
  return found;
}

http::Response serve_static(Services& services, const http::Request& request) {
  if (request.method != "GET" && request.method != "HEAD")
    return http::error_response(405, "method_not_allowed", "only GET is allowed here");
  if (auto response = services.web.serve(request.path)) return *response;
  return http::error_response(404, "not_found", "no such page");
}

// A refusal on an organisation route, as ACCESS_DENIED in the actor's account log, at most
// one entry per (actor, route, reason) a minute with the count of those not written.
// `inside_org`: the actor is a member, so the entry belongs to that organisation's log too;
// a non-member's probe stays out of the organisation's log (it names only an id the prober
// already had, and an outsider must not be able to write into another tenant's log).
void record_access_denied(RequestContext& context, const Route& route, std::string_view reason, bool inside_org,
                          const std::string& detail = {}) {
  const std::string route_name = std::string(route.method) + " " + std::string(route.path);
  const auto admitted =
      context.services.access_denials.admit(context.user->id + "\n" + route_name + "\n" + std::string(reason));
  if (!admitted) return;
  AuditRecord record = audit_record(context, AuditCode::kAccessDenied);
  const std::string& org_id = context.param("org_id");
  if (inside_org) record.org_id = org_id;
  record.details = {{"username", context.user->email},
                    {"route", route_name},
                    {"reason", std::string(reason)},
                    {"requested_org", org_id}};
  if (!detail.empty()) record.details.emplace_back("detail", detail);
  if (admitted->suppressed > 0) record.details.emplace_back("suppressed", std::to_string(admitted->suppressed));
  if (admitted->overflow > 0) record.details.emplace_back("suppressed_other", std::to_string(admitted->overflow));
  context.services.audit.append(record);
}

// Authentication, CSRF, tenancy and permissions. Returns an error response, or nullopt
// when the handler may run.
std::optional<http::Response> authorise(RequestContext& context, const Route& route) {
  Services& services = context.services;
  const http::Request& request = context.request;

  if (route.access == Access::kPublic) {
    if (is_state_changing(request.method) && is_cross_site(request))
      return http::error_response(403, "csrf", "cross-site requests are refused");
    return std::nullopt;
  }
  if (route.access == Access::kOperatorOrLoopback && net::is_loopback_address(request.peer_ip)) return std::nullopt;

  const auto token = http::find_cookie(request.header("cookie"), http::kSessionCookie);
  Session session;
  const SessionLookup lookup = token ? services.sessions.find(*token, session) : SessionLookup::kUnknown;
  if ((lookup == SessionLookup::kIdleExpired || lookup == SessionLookup::kAbsoluteExpired) &&
      session.stage != SessionStage::kFull) {
    // Never a login: the password was accepted and the second step never came.
    record_login_incomplete(services, session, expiry_reason(session.stage));
  } else if (lookup == SessionLookup::kIdleExpired || lookup == SessionLookup::kAbsoluteExpired) {
    AuditRecord record = audit_record(context, AuditCode::kSessionExpired);
    record.user_id = session.user_id;
    if (auto user = services.users.find_by_id(session.user_id)) record.username = user->email;
    record.details = {{"session", session.id},
                      {"reason", lookup == SessionLookup::kIdleExpired ? "idle_timeout" : "absolute_timeout"}};
    services.audit.append(record);
  }
  if (lookup != SessionLookup::kValid)
    return http::error_response(401, "unauthenticated", "please log in (your session is missing or has expired)");
  context.user = services.users.find_by_id(session.user_id);
  if (!context.user) return http::error_response(401, "unauthenticated", "please log in");
  context.session = session;

  // A login that is not finished may only finish itself (or be abandoned).
  if (session.stage == SessionStage::kTotpRequired && (route.partial & kDuringTotp) == 0)
    return http::error_response(403, "second_factor_required", "enter the one-time code from your authenticator first");
  // After an owner or the operator reset the second factor, the account must enrol a new
  // authenticator before anything else (an organisation's policy alone gates only that organisation).
  if (session.stage == SessionStage::kTotpEnrolmentRequired && (route.partial & kDuringEnrolment) == 0)
    return http::error_response(403, "totp_enrolment_required",
                                "your second factor was reset: set up an authenticator first");

  if (is_state_changing(request.method) &&
      !crypto::constant_time_equal(request.header("x-csrf-token"), session.csrf_token))
    return http::error_response(403, "csrf", "missing or wrong X-CSRF-Token header; reload the page");

  if (route.access == Access::kOperator || route.access == Access::kOperatorOrLoopback) {
    if (!context.user->is_operator)
      return http::error_response(403, "forbidden", "only the platform operator may do this");
    return std::nullopt;
  }
  if (route.access == Access::kOrg) {
    // Not a member, or no such organisation: the same 404, so ids of other tenants are not confirmed.
    context.membership = services.orgs.membership(context.param("org_id"), context.user->id);
    if (!context.membership) {
      record_access_denied(context, route, "not_found", false);
      return http::error_response(404, "not_found", "no such organisation");
    }
    // The organisation's 2FA policy gates this organisation only: the member's account pages
    // and other organisations stay open, and the account page is where they enrol.
    if (context.membership->org_requires_2fa && !context.membership->totp_enabled) {
      record_access_denied(context, route, "org_requires_2fa", true);
      return http::error_response(403, "org_requires_2fa",
                                  "the organisation '" + context.membership->org_name +
                                      "' requires two-factor authentication: set up an authenticator on your "
                                      "account page, then try again");
    }
    if (route.permission && !allows(context.membership->role, *route.permission)) {
      record_access_denied(context, route, "forbidden", true,
                           "role " + std::string(to_string(context.membership->role)) + " lacks " +
                               std::string(to_string(*route.permission)));
      return http::error_response(403, "forbidden",
                                  "your role '" + std::string(to_string(context.membership->role)) +
                                      "' does not allow " + std::string(to_string(*route.permission)));
    }
  }
  return std::nullopt;
}

http::Response run(Services& services, const http::Request& request) {
  Found found = find_route(request);
  if (found.route == nullptr) {
    if (found.path_matched) return http::error_response(405, "method_not_allowed", "method not allowed here");
    if (request.path.starts_with("/api/")) return http::error_response(404, "not_found", "no such API route");
    return serve_static(services, request);
  }
  if (is_state_changing(request.method) && !request.body.empty() &&
      !request.header("content-type").starts_with("application/json"))
    return http::error_response(415, "unsupported_media_type", "send the body as application/json");

  RequestContext context{services, request, std::move(found.params), client_kind(request), {}, {}, {}};
  if (auto refusal = authorise(context, *found.route)) return *refusal;
  http::Response response = found.route->handler(context);
  // Inside an organisation the handler decides about its objects: a 404 there is what a
  // member sees for another tenant's device or member id, a 403 a refusal of its own.
  if (found.route->access == Access::kOrg && (response.status == 404 || response.status == 403))
    record_access_denied(context, *found.route, response.status == 404 ? "not_found" : "forbidden", true);
  return response;
}

}  // namespace

http::Response bad_request(const Error& error) {
  return http::error_response(400, "bad_request", error.message);
}

AuditRecord audit_record(const RequestContext& context, AuditCode code) {
  AuditRecord record;
  record.code = code;
  record.actor_type = ActorType::kUser;
  record.ip = context.request.peer_ip;
  record.client = context.client;
  if (context.user) {
    record.user_id = context.user->id;
    record.username = context.user->email;
  }
  return record;
}

http::Response dispatch(Services& services, const http::Request& request) {
  http::Response response;
  try {
    response = run(services, request);
  } catch (const DatabaseError& error) {
    spdlog::error("storage error on {} {}: {}", request.method, request.path, error.what());
    response = http::error_response(503, "storage_unavailable",
                                    "the server could not store or read data; nothing was changed, try again");
  } catch (const std::exception& error) {
    spdlog::error("internal error on {} {}: {}", request.method, request.path, error.what());
    response = http::error_response(500, "internal", "internal error; the incident was logged");
  }
  http::add_security_headers(response);
  services.metrics.count_request(response.status);
  return response;
}

}  // namespace logbot::cloud::api
