#include "cloud/identity/invitations.hpp"

#include "cloud/services.hpp"
#include "common/time_format.hpp"

namespace logbot::cloud {

NewInvitation create_invitation(Services& services, const std::string& org_id, const std::string& email, Role role,
                                const AuditRecord& who) {
  Transaction tx(*services.db);
  NewInvitation created =
      services.invitations.create(org_id, email, role, who.user_id, services.config.invitation_ttl_ms);
  AuditRecord record = who;
  record.code = AuditCode::kInvitationCreated;
  record.org_id = org_id;
  record.details = {{"invitation", created.invitation.id},
                    {"email", email},
                    {"role", std::string(to_string(role))},
                    {"expires", format_iso8601_ms(created.invitation.expires_ms)}};
  services.audit.append(record);
  tx.commit();
  return created;
}

void expire_invitations(Services& services) {
  Transaction tx(*services.db);
  for (const Invitation& expired : services.invitations.expire_due()) {
    AuditRecord record;
    record.code = AuditCode::kInvitationExpired;
    record.actor_type = ActorType::kSystem;
    record.org_id = expired.org_id;
    record.ip = "local";
    record.client = "server";
    record.details = {
        {"invitation", expired.id}, {"email", expired.email}, {"role", std::string(to_string(expired.role))}};
    services.audit.append(record);
  }
  tx.commit();
}

std::string invitation_url(const Services& services, const std::string& token) {
  return services.identity().url + "/invite.html#" + token;
}

}  // namespace logbot::cloud
