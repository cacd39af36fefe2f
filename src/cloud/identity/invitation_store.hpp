// Invitations to join an organisation. Membership needs the invitee's consent: an owner or
// admin invites an e-mail address with a role, and the person behind it accepts (after their
// own login, or by choosing a password through the one-time link when the address has no
// account yet) or declines. An invitation is pending until it is accepted, declined, revoked
// by the organisation or expires; each of those ends it for good.
//
// The link's token is 256 random bits; only its SHA-256 is stored, so a copy of the database
// holds no usable link. Inviting never looks at the accounts, so its answer cannot tell
// whether an address has one.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloud/authz/permissions.hpp"
#include "common/clock.hpp"

namespace logbot::cloud {
class Database;

enum class InvitationState { kPending, kAccepted, kDeclined, kRevoked, kExpired };
std::string_view to_string(InvitationState state);

struct Invitation {
  std::string id;
  std::string org_id;
  std::string org_name;
  std::string email;
  Role role = Role::kViewer;
  std::optional<std::string> invited_by;        // user id; none when the platform created it
  std::optional<std::string> invited_by_email;  // for display
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;
  InvitationState state = InvitationState::kPending;
};

struct NewInvitation {
  Invitation invitation;
  std::string token;  // goes into the link, never stored
};

class InvitationStore {
 public:
  InvitationStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Throws DatabaseError (constraint) when a pending invitation for the address exists in the org.
  NewInvitation create(const std::string& org_id, const std::string& email, Role role,
                       const std::optional<std::string>& invited_by, std::int64_t lifetime_ms);
  // Pending invitations whose time is up become expired; returns them (for their audit entries).
  std::vector<Invitation> expire_due();
  std::vector<Invitation> pending_for_org(const std::string& org_id);
  std::vector<Invitation> pending_for_email(const std::string& email);
  // A pending invitation of this organisation / for this address, by id.
  std::optional<Invitation> find_pending_in_org(const std::string& org_id, const std::string& invitation_id);
  std::optional<Invitation> find_pending_for_email(const std::string& email, const std::string& invitation_id);
  // The pending invitation a link's token belongs to.
  std::optional<Invitation> find_pending_by_token(const std::string& token);
  // Ends a pending invitation; false when it was no longer pending (a concurrent answer won).
  bool finish(const std::string& invitation_id, InvitationState state);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace logbot::cloud
