// Health, metrics and the operator's organisation management. The operator sees
// organisations as names and counts only: no members, devices, data or audit of a tenant.
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "cloud/admin/admin_commands.hpp"
#include "cloud/api/handlers.hpp"
#include "cloud/api/json_body.hpp"
#include "cloud/auth/password_policy.hpp"
#include "cloud/db/database.hpp"
#include "cloud/services.hpp"
#include "common/time_format.hpp"

namespace logbot::cloud::api {

http::Response healthz(RequestContext& context) {
  // Healthy means the database answers.
  context.services.db->query_integer("SELECT 1");
  return http::json_response(200, R"({"status":"ok"})");
}

http::Response metrics(RequestContext& context) {
  Metrics::Gauges gauges;
  gauges.active_sessions = context.services.sessions.count_active();
  gauges.audit_events = context.services.db->query_integer("SELECT COUNT(*) FROM audit_events").value_or(0);
  http::Response response;
  response.body = context.services.metrics.render(gauges);
  response.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  return response;
}

http::Response admin_list_orgs(RequestContext& context) {
  boost::json::array orgs;
  for (const OrgSummary& summary : context.services.orgs.list_all())
    orgs.push_back({{"id", summary.org.id},
                    {"name", summary.org.name},
                    {"created_at", format_iso8601_ms(summary.org.created_ms)},
                    {"member_count", summary.member_count}});
  return http::json_response(200, boost::json::serialize(boost::json::object{{"orgs", std::move(orgs)}}));
}

namespace {

// An organisation or invitation the admin module refused, with its status and code.
http::Response refused(const admin::Error& error) {
  return http::error_response(admin::http_status(error.code), std::string(admin::code_text(error.code)), error.message);
}

}  // namespace

http::Response admin_create_org(RequestContext& context) {
  auto body = JsonBody::parse(context.request.body);
  if (!body) return bad_request(body.error());
  auto name = body->required_string("name", 200);
  if (!name) return bad_request(name.error());
  auto email = body->required_string("owner_email", 320);
  if (!email) return bad_request(email.error());
  auto password_field = body->optional_string("owner_password", kMaximumPasswordLength + 1);
  if (!password_field) return bad_request(password_field.error());
  const std::optional<std::string>& password = *password_field;
  // The owner chooses their own password through the invitation link; one set here would be
  // known to the operator (and would answer differently for an existing account).
  if (password)
    return http::error_response(
        400, "bad_request", "'owner_password' is not accepted: the owner is invited and chooses their own password");

  Requester requester{ActorType::kUser, context.user->id, context.user->email, context.request.peer_ip, context.client};
  const auto org = provision_org_inviting_owner(context.services, *name, *email, requester);
  if (!org) return refused(org.error());
  boost::json::object o = new_invitation_json(context.services, org->owner_invitation);
  o["id"] = org->org_id;
  o["name"] = *name;
  return http::json_response(201, boost::json::serialize(o));
}

http::Response admin_reinvite_owner(RequestContext& context) {
  auto body = JsonBody::parse(context.request.body);
  if (!body) return bad_request(body.error());
  auto email = body->required_string("owner_email", 320);
  if (!email) return bad_request(email.error());
  Requester requester{ActorType::kUser, context.user->id, context.user->email, context.request.peer_ip, context.client};
  const auto created = reinvite_owner(context.services, context.param("org_id"), *email, requester);
  if (!created) return refused(created.error());
  return http::json_response(201, boost::json::serialize(new_invitation_json(context.services, *created)));
}

}  // namespace logbot::cloud::api
