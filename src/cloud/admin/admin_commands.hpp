// Provisioning shared by the shell (`logbot-cloud admin ...`) and the operator API, the
// recovery of a lost second factor (by an organisation owner or `logbot-cloud admin reset-2fa`),
// and the offline audit verification (`logbot-cloud audit verify`).
#pragma once
#include <optional>
#include <string>

#include "cloud/admin/error.hpp"
#include "cloud/audit/audit_event.hpp"
#include "cloud/identity/invitation_store.hpp"

namespace logbot::cloud {
struct Services;

struct ProvisionedOrg {
  std::string org_id;
  std::string owner_user_id;
};

struct InvitedOrg {
  std::string org_id;
  NewInvitation owner_invitation;
};

// Who asked, for the audit entries.
struct Requester {
  ActorType actor_type = ActorType::kSystem;
  std::optional<std::string> user_id;
  std::optional<std::string> username;
  std::string ip = "local";
  std::string client = "admin-cli";
};

// The server shell's way (`logbot-cloud admin create-org --owner E`): creates an organisation
// and a NEW account for `owner_email` with `owner_password` as its owner. An address that has
// an account already is refused (409): nobody, not even the operator, attaches an existing
// account to anything; that account must accept an invitation (provision_org_inviting_owner).
// Audited as ORG_CREATED, USER_CREATED, MEMBER_ADDED.
admin::Result<ProvisionedOrg> provision_org(Services& services, const std::string& name, const std::string& owner_email,
                                            const std::string& owner_password, const Requester& requester);

// The operator API's way: creates an organisation and invites `owner_email` as its owner.
// Never looks at the accounts, so the answer is the same whether the address has one.
// Audited as ORG_CREATED, INVITATION_CREATED.
admin::Result<InvitedOrg> provision_org_inviting_owner(Services& services, const std::string& name,
                                                       const std::string& owner_email, const Requester& requester);

// A new owner invitation for an organisation that has no owner (its owner invitation expired
// or was declined). 409 `has_owner` otherwise: an organisation with an owner invites itself.
admin::Result<NewInvitation> reinvite_owner(Services& services, const std::string& org_id,
                                            const std::string& owner_email, const Requester& requester);

// Creates the platform operator's account. Audited as USER_CREATED (role=operator).
admin::Result<std::string> provision_operator(Services& services, const std::string& email, const std::string& password,
                                              const Requester& requester);

// The recovery path for a lost authenticator: removes the user's TOTP secret and recovery
// codes, ends all their sessions and makes their next login enrol a new authenticator
// (whatever their organisations' policy). `record` is the audit entry (who reset it, in whose
// account log and which organisation's); `sessions_ended=N` is added to it. Returns N.
// The caller has checked that the user has an authenticator and may be reset.
int reset_second_factor(Services& services, const std::string& user_id, AuditRecord record);

// `logbot-cloud admin reset-2fa --email E`: reset_second_factor() for the operator on the
// server's shell, audited as TOTP_RESET_BY_OPERATOR (actor system) in the account's log.
// 404 for an unknown account, 409 when it has no authenticator. Returns the sessions ended.
admin::Result<int> reset_second_factor_by_email(Services& services, const std::string& email,
                                                const Requester& requester);

// Checks an organisation name: 1..100 printable characters; bad_request otherwise.
admin::Result<void> check_org_name(const std::string& name);

}  // namespace logbot::cloud
