// The audited steps of an invitation's life (identity/invitation_store.hpp holds the rows):
// shared by the organisation routes, the invitee's routes, the public link routes and the
// operator's organisation provisioning, so every path writes the same audit entries.
#pragma once
#include <string>

#include "cloud/audit/audit_event.hpp"
#include "cloud/identity/invitation_store.hpp"

namespace logbot::cloud {
struct Services;

// Creates a pending invitation and audits INVITATION_CREATED in the organisation's log.
// `who` names the inviter (user or system), where from and how. Throws DatabaseError
// (constraint) when a pending invitation for the address exists in the organisation.
NewInvitation create_invitation(Services& services, const std::string& org_id, const std::string& email, Role role,
                                const AuditRecord& who);
// Marks pending invitations past their time as expired, one INVITATION_EXPIRED each.
void expire_invitations(Services& services);
// The invitee's link: the console page with the token in the fragment (never sent to a server,
// so it is in no access log or Referer).
std::string invitation_url(const Services& services, const std::string& token);

}  // namespace logbot::cloud
