// Organisation routes: the dispatcher has already checked membership (else 404) and the
// route's permission (else 403); these handlers add the rules about the owner role.
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "cloud/admin/admin_commands.hpp"
#include "cloud/api/handlers.hpp"
#include "cloud/api/json_body.hpp"
#include "cloud/auth/password_policy.hpp"
#include "cloud/identity/email_address.hpp"
#include "cloud/services.hpp"
#include "common/time_format.hpp"

namespace logbot::cloud::api {
namespace {

boost::json::object member_json(const Membership& m) {
  return {{"user_id", m.user_id},
          {"email", m.email},
          {"display_name", m.display_name},
          {"role", to_string(m.role)},
          {"added_at", format_iso8601_ms(m.added_ms)},
          {"totp_enabled", m.totp_enabled}};
}

boost::json::object org_json(const Org& org, Role role) {
  return {{"id", org.id},
          {"name", org.name},
          {"created_at", format_iso8601_ms(org.created_ms)},
          {"role", to_string(role)},
          {"require_2fa", org.require_2fa}};
}

AuditRecord org_record(const RequestContext& context, AuditCode code) {
  AuditRecord record = audit_record(context, code);
  record.org_id = context.membership->org_id;
  return record;
}

// The member named by {user_id} in this organisation, or nullopt (answered as 404).
std::optional<Membership> target_member(RequestContext& context) {
  return context.services.orgs.membership(context.membership->org_id, context.param("user_id"));
}

}  // namespace

http::Response list_my_orgs(RequestContext& context) {
  boost::json::array orgs;
  for (const Membership& m : context.services.orgs.memberships_of_user(context.user->id))
    orgs.push_back({{"id", m.org_id}, {"name", m.org_name}, {"role", to_string(m.role)}});
  return http::json_response(200, boost::json::serialize(boost::json::object{{"orgs", std::move(orgs)}}));
}

http::Response get_org(RequestContext& context) {
  const auto org = context.services.orgs.find(context.membership->org_id);
  if (!org) return http::error_response(404, "not_found", "no such organisation");
  return http::json_response(200, boost::json::serialize(org_json(*org, context.membership->role)));
}

http::Response update_org(RequestContext& context) {
  Services& services = context.services;
  auto body = JsonBody::parse(context.request.body);
  if (!body) return bad_request(body.error());
  auto require_2fa = body->required_bool("require_2fa");
  if (!require_2fa) return bad_request(require_2fa.error());
  Transaction tx(*services.db);
  auto org = services.orgs.find(context.membership->org_id);
  if (!org) return http::error_response(404, "not_found", "no such organisation");
  if (org->require_2fa != *require_2fa) {
    services.orgs.set_require_2fa(org->id, *require_2fa);
    AuditRecord record = org_record(context, AuditCode::kOrgPolicyChanged);
    record.details = {{"require_2fa_before", org->require_2fa ? "true" : "false"},
                      {"require_2fa_after", *require_2fa ? "true" : "false"}};
    services.audit.append(record);
    org->require_2fa = *require_2fa;
  }
  tx.commit();
  return http::json_response(200, boost::json::serialize(org_json(*org, context.membership->role)));
}

http::Response list_members(RequestContext& context) {
  boost::json::array members;
  for (const Membership& m : context.services.orgs.members(context.membership->org_id))
    members.push_back(member_json(m));
  return http::json_response(200, boost::json::serialize(boost::json::object{{"members", std::move(members)}}));
}

http::Response change_member_role(RequestContext& context) {
  Services& services = context.services;
  auto target = target_member(context);
  if (!target) return http::error_response(404, "not_found", "no such member");
  auto body = JsonBody::parse(context.request.body);
  if (!body) return bad_request(body.error());
  auto role_text = body->required_string("role", 20);
  if (!role_text) return bad_request(role_text.error());
  const auto role = parse_role(*role_text);
  if (!role) return http::error_response(400, "bad_request", "role must be owner, admin, engineer or viewer");
  if (!may_manage_role(context.membership->role, *role) || !may_manage_role(context.membership->role, target->role))
    return http::error_response(403, "forbidden", "only an owner can give or take the owner role");
  if (target->role == *role) return http::json_response(200, boost::json::serialize(member_json(*target)));

  Transaction tx(*services.db);
  if (target->role == Role::kOwner && services.orgs.count_owners(target->org_id) <= 1)
    return http::error_response(409, "last_owner", "an organisation must keep at least one owner");
  services.orgs.set_role(target->org_id, target->user_id, *role);
  AuditRecord record = org_record(context, AuditCode::kRoleChanged);
  record.details = {{"member", target->email},
                    {"role_before", std::string(to_string(target->role))},
                    {"role_after", std::string(to_string(*role))}};
  services.audit.append(record);
  tx.commit();
  target->role = *role;
  return http::json_response(200, boost::json::serialize(member_json(*target)));
}

http::Response remove_member(RequestContext& context) {
  Services& services = context.services;
  auto target = target_member(context);
  if (!target) return http::error_response(404, "not_found", "no such member");
  if (!may_manage_role(context.membership->role, target->role))
    return http::error_response(403, "forbidden", "only an owner can remove an owner");

  Transaction tx(*services.db);
  if (target->role == Role::kOwner && services.orgs.count_owners(target->org_id) <= 1)
    return http::error_response(409, "last_owner", "an organisation must keep at least one owner");
  services.orgs.remove_member(target->org_id, target->user_id);
  AuditRecord record = org_record(context, AuditCode::kMemberRemoved);
  record.details = {{"member", target->email}, {"role_before", std::string(to_string(target->role))}};
  services.audit.append(record);
  tx.commit();
  return http::no_content();
}

// The recovery path for a member who lost their authenticator (and their recovery codes).
// Owners only (members.reset_2fa), with the owner's current password: with a stolen owner
// session and a phished member password an attacker could otherwise reset the member's factor
// and enrol their own. Not on oneself: one's own factor is turned off with password and code
// (POST /api/v1/me/totp/disable), or reset by another owner or the operator.
http::Response reset_member_totp(RequestContext& context) {
  Services& services = context.services;
  const auto target = target_member(context);
  if (!target) return http::error_response(404, "not_found", "no such member");
  auto body = JsonBody::parse(context.request.body);
  if (!body) return bad_request(body.error());
  auto password = body->required_string("password", kMaximumPasswordLength);
  if (!password) return bad_request(password.error());
  if (target->user_id == context.user->id)
    return http::error_response(403, "forbidden",
                                "you cannot reset your own second factor here: turn it off on your account page "
                                "(password and code), or ask another owner or the platform operator");

  AuditRecord failure;
  if (auto refusal = check_current_password(context, AuditCode::kTotpResetByOwner, *password, failure)) return *refusal;
  // The second factor guards the whole account: an owner may reset it only for an account that
  // belongs to this organisation alone, else one tenant's owner would weaken the account's
  // access to every other organisation (the platform operator can, on the server's shell).
  if (services.orgs.memberships_of_user(target->user_id).size() > 1)
    return http::error_response(409, "member_of_other_organisations",
                                target->email +
                                    " also belongs to other organisations: ask the platform operator to reset the "
                                    "second factor (logbot-cloud admin reset-2fa)");
  if (!services.totp.is_enabled(target->user_id))
    return http::error_response(409, "totp_not_enabled", target->email + " has no authenticator to reset");

  // In the member's account log (user_id) and the organisation's log (org_id); the owner who
  // did it is named in the details.
  AuditRecord record = org_record(context, AuditCode::kTotpResetByOwner);
  record.user_id = target->user_id;
  record.username = target->email;
  record.details = {{"username", target->email}, {"actor", context.user->email}, {"actor_user_id", context.user->id}};
  const int ended = reset_second_factor(services, target->user_id, record);
  return http::json_response(200, boost::json::serialize(boost::json::object{{"user_id", target->user_id},
                                                                             {"email", target->email},
                                                                             {"totp_enabled", false},
                                                                             {"sessions_ended", ended},
                                                                             {"enrolment_required", true}}));
}

http::Response org_audit(RequestContext& context) {
  AuditQuery query;
  query.org_id = context.membership->org_id;  // entries of this organisation only
  return audit_listing(context, std::move(query));
}

}  // namespace logbot::cloud::api
