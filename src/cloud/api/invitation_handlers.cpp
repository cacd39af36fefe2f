// Invitations: membership only with the invitee's consent (identity/invitation_store.hpp).
//
// - Organisation routes (owners and admins): invite an e-mail address with a role, list and
//   revoke pending invitations. Inviting never looks at the accounts, so the answer (status,
//   body, work done) is the same whether the address has an account or not.
// - The invitee's routes (/api/v1/me/invitations): an account sees the pending invitations
//   for its own e-mail address, after its own login, and accepts or declines them.
// - The link routes (public, the token is the credential): an address without an account
//   chooses its own password and so creates the account; the inviter never knows it.
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "cloud/api/handlers.hpp"
#include "cloud/api/json_body.hpp"
#include "cloud/auth/password_policy.hpp"
#include "cloud/identity/email_address.hpp"
#include "cloud/identity/invitations.hpp"
#include "cloud/services.hpp"
#include "common/time_format.hpp"

namespace logbot::cloud::api {
namespace {

constexpr const char* kInvalidInvitation =
    "this invitation link is not valid: it was used, declined or revoked, or it expired; ask for a new invitation";

http::Response invalid_invitation() {
  return http::error_response(404, "invalid_invitation", kInvalidInvitation);
}

AuditRecord org_record(const RequestContext& context, AuditCode code) {
  AuditRecord record = audit_record(context, code);
  record.org_id = context.membership->org_id;
  return record;
}

// The token is a credential: read it from the body, never from the URL.
Result<std::string> token_from(const Result<JsonBody>& body) {
  if (!body) return body.error();
  return body->required_string("token", 128);
}

// Joins the invitee to the organisation and ends the invitation, with its audit entries, in
// the caller's transaction. False when the invitation was answered meanwhile.
bool join(RequestContext& context, const Invitation& invitation, const User& invitee) {
  Services& services = context.services;
  if (!services.invitations.finish(invitation.id, InvitationState::kAccepted)) return false;
  services.orgs.add_member(invitation.org_id, invitee.id, invitation.role);
  AuditRecord accepted = audit_record(context, AuditCode::kInvitationAccepted);
  accepted.user_id = invitee.id;
  accepted.username = invitee.email;
  accepted.org_id = invitation.org_id;
  accepted.details = {{"invitation", invitation.id}, {"role", std::string(to_string(invitation.role))}};
  if (invitation.invited_by_email) accepted.details.emplace_back("invited_by", *invitation.invited_by_email);
  services.audit.append(accepted);
  AuditRecord added = accepted;
  added.code = AuditCode::kMemberAdded;
  added.details = {{"member", invitee.email}, {"role", std::string(to_string(invitation.role))}, {"via", "invitation"}};
  services.audit.append(added);
  return true;
}

boost::json::object joined_json(const Invitation& invitation, const std::string& email) {
  return {{"org_id", invitation.org_id},
          {"org_name", invitation.org_name},
          {"email", email},
          {"role", to_string(invitation.role)}};
}

}  // namespace

boost::json::object invitation_json(const Invitation& i) {
  boost::json::object o{{"id", i.id},
                        {"org_id", i.org_id},
                        {"org_name", i.org_name},
                        {"email", i.email},
                        {"role", to_string(i.role)},
                        {"state", to_string(i.state)},
                        {"created_at", format_iso8601_ms(i.created_ms)},
                        {"expires_at", format_iso8601_ms(i.expires_ms)}};
  o["invited_by"] = i.invited_by_email ? boost::json::value(*i.invited_by_email) : boost::json::value(nullptr);
  return o;
}

boost::json::object new_invitation_json(const Services& services, const NewInvitation& created) {
  return {{"invitation", invitation_json(created.invitation)},
          {"token", created.token},
          {"url", invitation_url(services, created.token)}};
}

http::Response invite_member(RequestContext& context) {
  Services& services = context.services;
  auto body = JsonBody::parse(context.request.body);
  if (!body) return bad_request(body.error());
  auto email = body->required_string("email", 320);
  if (!email) return bad_request(email.error());
  auto role_text = body->required_string("role", 20);
  if (!role_text) return bad_request(role_text.error());
  const auto normalized = normalize_email(*email);
  if (!normalized) return http::error_response(400, "bad_request", email_refusal(*email));
  const auto role = parse_role(*role_text);
  if (!role) return http::error_response(400, "bad_request", "role must be owner, admin, engineer or viewer");
  if (!may_manage_role(context.membership->role, *role))
    return http::error_response(403, "forbidden", "only an owner can invite an owner");

  expire_invitations(services);
  const std::string& org_id = context.membership->org_id;
  // What the organisation knows already (its members, its invitations): no other tenant's data.
  if (services.orgs.has_member_with_email(org_id, *normalized))
    return http::error_response(409, "conflict", *normalized + " is a member already");
  std::optional<NewInvitation> created;
  try {
    created =
        create_invitation(services, org_id, *normalized, *role, org_record(context, AuditCode::kInvitationCreated));
  } catch (const DatabaseError& db_error) {
    if (!db_error.is_constraint()) throw;
    return http::error_response(
        409, "invitation_pending",
        "an invitation for " + *normalized + " is pending already; revoke it to send a new one");
  }
  created->invitation.org_name = context.membership->org_name;
  created->invitation.invited_by_email = context.user->email;
  return http::json_response(201, boost::json::serialize(new_invitation_json(services, *created)));
}

// {"invitations": [...]}: the answer of both listings (the organisation's, one's own).
static http::Response invitations_listing(const std::vector<Invitation>& invitations) {
  boost::json::array out;
  for (const Invitation& i : invitations) out.push_back(invitation_json(i));
  return http::json_response(200, boost::json::serialize(boost::json::object{{"invitations", std::move(out)}}));
}

// Ends a pending invitation (revoked by the organisation, declined by the invitee) and audits
// it in the same transaction; another request that ended it first makes this one "not found".
static http::Response finish_audited(Services& services, const Invitation& invitation, InvitationState state,
                                     const AuditRecord& record) {
  Transaction tx(*services.db);
  if (!services.invitations.finish(invitation.id, state))
    return http::error_response(404, "not_found", "no such pending invitation");
  services.audit.append(record);
  tx.commit();
  return http::no_content();
}

http::Response list_invitations(RequestContext& context) {
  expire_invitations(context.services);
  return invitations_listing(context.services.invitations.pending_for_org(context.membership->org_id));
}

http::Response revoke_invitation(RequestContext& context) {
  Services& services = context.services;
  expire_invitations(services);
  const auto invitation =
      services.invitations.find_pending_in_org(context.membership->org_id, context.param("invitation_id"));
  if (!invitation) return http::error_response(404, "not_found", "no such pending invitation");
  if (!may_manage_role(context.membership->role, invitation->role))
    return http::error_response(403, "forbidden", "only an owner can revoke an invitation to the owner role");
  AuditRecord record = org_record(context, AuditCode::kInvitationRevoked);
  record.details = {
      {"invitation", invitation->id}, {"email", invitation->email}, {"role", std::string(to_string(invitation->role))}};
  return finish_audited(services, *invitation, InvitationState::kRevoked, record);
}

http::Response list_my_invitations(RequestContext& context) {
  expire_invitations(context.services);
  return invitations_listing(context.services.invitations.pending_for_email(context.user->email));
}

http::Response accept_my_invitation(RequestContext& context) {
  Services& services = context.services;
  expire_invitations(services);
  // Only an invitation for this account's own address: another's id is "not found".
  const auto invitation =
      services.invitations.find_pending_for_email(context.user->email, context.param("invitation_id"));
  if (!invitation) return http::error_response(404, "not_found", "no such pending invitation");
  Transaction tx(*services.db);
  if (services.orgs.membership(invitation->org_id, context.user->id))
    return http::error_response(409, "conflict", "you are a member of " + invitation->org_name + " already");
  if (!join(context, *invitation, *context.user))
    return http::error_response(404, "not_found", "no such pending invitation");
  tx.commit();
  return http::json_response(200, boost::json::serialize(joined_json(*invitation, context.user->email)));
}

http::Response decline_my_invitation(RequestContext& context) {
  Services& services = context.services;
  expire_invitations(services);
  const auto invitation =
      services.invitations.find_pending_for_email(context.user->email, context.param("invitation_id"));
  if (!invitation) return http::error_response(404, "not_found", "no such pending invitation");
  AuditRecord record = audit_record(context, AuditCode::kInvitationDeclined);
  record.org_id = invitation->org_id;
  record.details = {{"invitation", invitation->id}, {"role", std::string(to_string(invitation->role))}};
  return finish_audited(services, *invitation, InvitationState::kDeclined, record);
}

http::Response look_up_invitation(RequestContext& context) {
  const auto token = token_from(JsonBody::parse(context.request.body));
  if (!token) return bad_request(token.error());
  expire_invitations(context.services);
  const auto invitation = context.services.invitations.find_pending_by_token(*token);
  if (!invitation) return invalid_invitation();
  boost::json::object o{{"org_name", invitation->org_name},
                        {"email", invitation->email},
                        {"role", to_string(invitation->role)},
                        {"expires_at", format_iso8601_ms(invitation->expires_ms)}};
  return http::json_response(200, boost::json::serialize(o));
}

http::Response redeem_invitation(RequestContext& context) {
  Services& services = context.services;
  auto body = JsonBody::parse(context.request.body);
  auto token = token_from(body);
  if (!token) return bad_request(token.error());
  auto password = body->required_string("password", kMaximumPasswordLength + 1);
  if (!password) return bad_request(password.error());
  auto display_name_field = body->optional_string("display_name", 200);
  if (!display_name_field) return bad_request(display_name_field.error());
  const std::optional<std::string>& display_name = *display_name_field;

  expire_invitations(services);
  const auto invitation = services.invitations.find_pending_by_token(*token);
  if (!invitation) return invalid_invitation();
  // The link makes new accounts only. An existing account answers its invitation after its own
  // login, so the link cannot be used to take over or probe one with a password guess. (The
  // link's holder learns here that the address has an account: docs/SECURITY.md.)
  if (services.users.find_by_email(invitation->email))
    return http::error_response(409, "account_exists",
                                "this address has an account: log in with it and accept the invitation there");
  if (auto checked = check_new_password(*password, invitation->email); !checked)
    return http::error_response(400, "weak_password", checked.error().message);
  const std::string hash = services.hasher.hash(*password);  // outside the transaction: tens of ms

  Transaction tx(*services.db);
  User user;
  try {
    user = services.users.create(invitation->email, display_name.value_or(""), hash, false);
  } catch (const DatabaseError& db_error) {
    if (!db_error.is_constraint()) throw;
    return http::error_response(409, "account_exists",
                                "this address has an account: log in with it and accept the invitation there");
  }
  context.user = user;
  AuditRecord created = audit_record(context, AuditCode::kUserCreated);
  created.org_id = invitation->org_id;
  created.details = {{"username", user.email}, {"user_id", user.id}, {"via", "invitation"}};
  services.audit.append(created);
  if (!join(context, *invitation, user)) return invalid_invitation();
  tx.commit();
  return http::json_response(201, boost::json::serialize(joined_json(*invitation, user.email)));
}

}  // namespace logbot::cloud::api
