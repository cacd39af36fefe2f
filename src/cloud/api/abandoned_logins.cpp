#include "cloud/api/abandoned_logins.hpp"

#include "cloud/services.hpp"
#include "common/time_format.hpp"

namespace logbot::cloud::api {

std::string_view expiry_reason(SessionStage stage) {
  return stage == SessionStage::kTotpEnrolmentRequired ? "enrolment_timeout" : "second_factor_timeout";
}

void record_login_incomplete(Services& services, const Session& session, std::string_view reason) {
  AuditRecord record;
  record.code = AuditCode::kLoginIncomplete;
  record.actor_type = ActorType::kUser;
  record.user_id = session.user_id;
  // Where the password was typed, not where the cookie was shown again (the sweep has no request).
  record.ip = session.ip;
  record.client = session.client;
  std::string username;
  if (auto user = services.users.find_by_id(session.user_id)) {
    record.username = user->email;
    username = user->email;
  }
  record.details = {{"username", username},
                    {"stage", std::string(to_string(session.stage))},
                    {"reason", std::string(reason)},
                    {"session", session.id},
                    {"password_accepted_at", format_iso8601_ms(session.created_ms)}};
  services.audit.append(record);
}

int sweep_abandoned_logins(Services& services) {
  // One transaction: a session is never deleted without its entry.
  Transaction tx(*services.db);
  const std::vector<Session> expired = services.sessions.take_expired_half_sessions();
  for (const Session& session : expired) record_login_incomplete(services, session, expiry_reason(session.stage));
  tx.commit();
  return static_cast<int>(expired.size());
}

}  // namespace logbot::cloud::api
