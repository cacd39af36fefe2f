#include "cloud/admin/admin_commands.hpp"

#include "cloud/auth/password_policy.hpp"
#include "cloud/identity/email_address.hpp"
#include "cloud/identity/invitations.hpp"
#include "cloud/services.hpp"

namespace logbot::cloud {
namespace {

AuditRecord record_of(const Requester& requester, AuditCode code) {
  AuditRecord record;
  record.code = code;
  record.actor_type = requester.actor_type;
  record.user_id = requester.user_id;
  record.username = requester.username;
  record.ip = requester.ip;
  record.client = requester.client;
  return record;
}

// Creates the organisation with its ORG_CREATED entry, in the caller's transaction.
admin::Result<Org> create_org_audited(Services& services, const std::string& name, const std::string& owner_email,
                                      const Requester& requester) {
  Org org;
  try {
    org = services.orgs.create(name);
  } catch (const DatabaseError& db_error) {
    if (!db_error.is_constraint()) throw;
    return fail(admin::ErrorCode::conflict, "an organisation named '" + name + "' exists already");
  }
  AuditRecord created = record_of(requester, AuditCode::kOrgCreated);
  created.org_id = org.id;
  created.details = {{"org", name}, {"owner", owner_email}};
  services.audit.append(created);
  return org;
}

}  // namespace

namespace admin {

std::string_view code_text(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request: return "bad_request";
    case ErrorCode::weak_password: return "weak_password";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::account_exists: return "account_exists";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::has_owner: return "has_owner";
    case ErrorCode::invitation_pending: return "invitation_pending";
    case ErrorCode::totp_not_enabled: return "totp_not_enabled";
  }
  return "error";
}

unsigned http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request:
    case ErrorCode::weak_password: return 400;
    case ErrorCode::not_found: return 404;
    default: return 409;
  }
}

}  // namespace admin

admin::Result<void> check_org_name(const std::string& name) {
  if (name.empty() || name.size() > 100)
    return fail(admin::ErrorCode::bad_request, "the organisation name must have 1 to 100 characters");
  for (char c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return fail(admin::ErrorCode::bad_request, "the organisation name contains control characters");
  return {};
}

// The organisation's name and its owner's address, as every way of creating an organisation
// checks them: the normalised address, or bad_request.
static admin::Result<std::string> checked_org_and_owner(const std::string& name, const std::string& owner_email) {
  if (auto checked = check_org_name(name); !checked) return checked.error();
  auto email = normalize_email(owner_email);
  if (!email) return fail(admin::ErrorCode::bad_request, email_refusal(owner_email));
  return *email;
}

admin::Result<ProvisionedOrg> provision_org(Services& services, const std::string& name, const std::string& owner_email,
                                            const std::string& owner_password, const Requester& requester) {
  const auto email = checked_org_and_owner(name, owner_email);
  if (!email) return email.error();
  if (services.users.find_by_email(*email)) {
    return fail(admin::ErrorCode::account_exists,
                "an account for " + *email +
                    " exists already: this command creates new accounts only; create the organisation with "
                    "POST /api/v1/admin/orgs (the operator API), which invites the existing account as owner");
  }
  if (auto checked = check_new_password(owner_password, *email); !checked) {
    return fail(admin::ErrorCode::weak_password, checked.error().message);
  }
  const std::string hash = services.hasher.hash(owner_password);  // outside the transaction: it takes tens of ms

  Transaction tx(*services.db);
  const auto org = create_org_audited(services, name, *email, requester);
  if (!org) return org.error();
  ProvisionedOrg out{org->id, {}};
  User owner;
  try {
    owner = services.users.create(*email, "", hash, false);
  } catch (const DatabaseError& db_error) {
    if (!db_error.is_constraint()) throw;
    return fail(admin::ErrorCode::account_exists, "an account for " + *email + " exists already");
  }
  AuditRecord user_created = record_of(requester, AuditCode::kUserCreated);
  user_created.org_id = org->id;
  user_created.details = {{"username", *email}, {"user_id", owner.id}};
  services.audit.append(user_created);
  out.owner_user_id = owner.id;
  services.orgs.add_member(org->id, owner.id, Role::kOwner);
  AuditRecord added = record_of(requester, AuditCode::kMemberAdded);
  added.org_id = org->id;
  added.details = {{"member", *email}, {"role", "owner"}};
  services.audit.append(added);
  tx.commit();
  return out;
}

admin::Result<InvitedOrg> provision_org_inviting_owner(Services& services, const std::string& name,
                                                       const std::string& owner_email, const Requester& requester) {
  const auto email = checked_org_and_owner(name, owner_email);
  if (!email) return email.error();
  Transaction tx(*services.db);
  const auto org = create_org_audited(services, name, *email, requester);
  if (!org) return org.error();
  InvitedOrg out{org->id, create_invitation(services, org->id, *email, Role::kOwner,
                                            record_of(requester, AuditCode::kInvitationCreated))};
  out.owner_invitation.invitation.org_name = org->name;
  out.owner_invitation.invitation.invited_by_email = requester.username;
  tx.commit();
  return out;
}

admin::Result<NewInvitation> reinvite_owner(Services& services, const std::string& org_id,
                                            const std::string& owner_email, const Requester& requester) {
  const auto email = normalize_email(owner_email);
  if (!email) {
    return fail(admin::ErrorCode::bad_request, email_refusal(owner_email));
  }
  expire_invitations(services);
  Transaction tx(*services.db);
  const auto org = services.orgs.find(org_id);
  if (!org) {
    return fail(admin::ErrorCode::not_found, "no such organisation");
  }
  if (services.orgs.count_owners(org->id) > 0) {
    return fail(admin::ErrorCode::has_owner, "the organisation has an owner: its owners and admins invite members");
  }
  NewInvitation created;
  try {
    created =
        create_invitation(services, org->id, *email, Role::kOwner, record_of(requester, AuditCode::kInvitationCreated));
  } catch (const DatabaseError& db_error) {
    if (!db_error.is_constraint()) throw;
    return fail(admin::ErrorCode::invitation_pending, "an invitation for " + *email + " is pending already");
  }
  created.invitation.org_name = org->name;
  created.invitation.invited_by_email = requester.username;
  tx.commit();
  return created;
}

admin::Result<std::string> provision_operator(Services& services, const std::string& email_in,
                                              const std::string& password, const Requester& requester) {
  const auto email = normalize_email(email_in);
  if (!email) {
    return fail(admin::ErrorCode::bad_request, email_refusal(email_in));
  }
  if (auto checked = check_new_password(password, *email); !checked) {
    return fail(admin::ErrorCode::weak_password, checked.error().message);
  }
  if (services.users.find_by_email(*email)) {
    return fail(admin::ErrorCode::conflict, "an account for " + *email + " exists already");
  }
  const std::string hash = services.hasher.hash(password);
  Transaction tx(*services.db);
  const User user = services.users.create(*email, "Platform operator", hash, true);
  AuditRecord record = record_of(requester, AuditCode::kUserCreated);
  record.details = {{"username", *email}, {"user_id", user.id}, {"role", "operator"}};
  services.audit.append(record);
  tx.commit();
  return user.id;
}

int reset_second_factor(Services& services, const std::string& user_id, AuditRecord record) {
  Transaction tx(*services.db);
  services.totp.reset(user_id);
  const int ended = services.sessions.revoke_all_except(user_id, "");
  record.details.emplace_back("sessions_ended", std::to_string(ended));
  services.audit.append(record);
  tx.commit();
  return ended;
}

admin::Result<int> reset_second_factor_by_email(Services& services, const std::string& email_in,
                                                const Requester& requester) {
  const auto email = normalize_email(email_in);
  if (!email) {
    return fail(admin::ErrorCode::bad_request, email_refusal(email_in));
  }
  const auto user = services.users.find_by_email(*email);
  if (!user) {
    return fail(admin::ErrorCode::not_found, "no account for " + *email);
  }
  if (!services.totp.is_enabled(user->id)) {
    return fail(admin::ErrorCode::totp_not_enabled, *email + " has no authenticator to reset");
  }
  AuditRecord record = record_of(requester, AuditCode::kTotpResetByOperator);
  // The account's own log shows that its second factor was reset, and by whom.
  record.user_id = user->id;
  record.username = user->email;
  record.details = {{"username", user->email}};
  return reset_second_factor(services, user->id, record);
}

}  // namespace logbot::cloud
