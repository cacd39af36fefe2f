#include "cloud/admin/admin_commands.hpp"

#include "cloud/auth/password_policy.hpp"
#include "cloud/identity/email_address.hpp"
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

}  // namespace

std::optional<std::string> check_org_name(const std::string& name) {
  if (name.empty() || name.size() > 100) return "the organisation name must have 1 to 100 characters";
  for (char c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "the organisation name contains control characters";
  return std::nullopt;
}

std::optional<ProvisionedOrg> provision_org(Services& services, const std::string& name, const std::string& owner_email,
                                            const std::string& owner_password, const Requester& requester,
                                            ProvisionError& error) {
  if (auto problem = check_org_name(name)) {
    error = {400, "bad_request", *problem};
    return std::nullopt;
  }
  const auto email = normalize_email(owner_email);
  if (!email) {
    error = {400, "bad_request", email_refusal(owner_email)};
    return std::nullopt;
  }
  std::optional<User> owner = services.users.find_by_email(*email);
  std::string hash;
  if (!owner) {
    if (auto problem = check_new_password(owner_password, *email)) {
      error = {400, "weak_password", *problem};
      return std::nullopt;
    }
    hash = services.hasher.hash(owner_password);  // outside the transaction: it takes tens of ms
  }

  Transaction tx(*services.db);
  ProvisionedOrg out;
  Org org;
  try {
    org = services.orgs.create(name);
  } catch (const DatabaseError& db_error) {
    if (!db_error.is_constraint()) throw;
    error = {409, "conflict", "an organisation named '" + name + "' exists already"};
    return std::nullopt;
  }
  out.org_id = org.id;
  AuditRecord created = record_of(requester, AuditCode::kOrgCreated);
  created.org_id = org.id;
  created.details = {{"org", name}, {"owner", *email}};
  services.audit.append(created);
  if (!owner) {
    owner = services.users.create(*email, "", hash, false);
    out.owner_created = true;
    AuditRecord user_created = record_of(requester, AuditCode::kUserCreated);
    user_created.org_id = org.id;
    user_created.details = {{"username", *email}, {"user_id", owner->id}};
    services.audit.append(user_created);
  }
  out.owner_user_id = owner->id;
  services.orgs.add_member(org.id, owner->id, Role::kOwner);
  AuditRecord added = record_of(requester, AuditCode::kMemberAdded);
  added.org_id = org.id;
  added.details = {{"member", *email}, {"role", "owner"}};
  services.audit.append(added);
  tx.commit();
  return out;
}

std::optional<std::string> provision_operator(Services& services, const std::string& email_in,
                                              const std::string& password, const Requester& requester,
                                              ProvisionError& error) {
  const auto email = normalize_email(email_in);
  if (!email) {
    error = {400, "bad_request", email_refusal(email_in)};
    return std::nullopt;
  }
  if (auto problem = check_new_password(password, *email)) {
    error = {400, "weak_password", *problem};
    return std::nullopt;
  }
  if (services.users.find_by_email(*email)) {
    error = {409, "conflict", "an account for " + *email + " exists already"};
    return std::nullopt;
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

}  // namespace logbot::cloud
