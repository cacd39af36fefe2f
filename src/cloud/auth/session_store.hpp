// Server-side login sessions. The browser holds a random 256-bit token; the database holds
// only its SHA-256, so a copy of the database cannot be replayed as a login.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"

namespace logbot::cloud {
class Database;

struct SessionPolicy {
  std::int64_t idle_timeout_ms = std::int64_t{30} * 60'000;
  std::int64_t absolute_timeout_ms = std::int64_t{12} * 3600'000;
  // A session that has passed the password but not yet the second factor.
  std::int64_t second_factor_timeout_ms = std::int64_t{5} * 60'000;
  // A session that must enrol an authenticator (its second factor was reset) before anything else.
  std::int64_t enrolment_timeout_ms = std::int64_t{15} * 60'000;
  int second_factor_attempts = 5;
  // How often the server looks for expired half sessions to record them (LOGIN_INCOMPLETE).
  std::int64_t sweep_interval_ms = 60'000;
};

// How far a login has come. Only kFull may use the product; the others may call only the
// routes that finish the login (see api::Route::partial).
enum class SessionStage { kFull, kTotpRequired, kTotpEnrolmentRequired };
std::string_view to_string(SessionStage stage);

struct Session {
  std::string id;  // public id, shown in "your sessions"; not a credential
  std::string user_id;
  std::string csrf_token;
  std::int64_t created_ms = 0;
  std::int64_t last_seen_ms = 0;
  std::int64_t absolute_expiry_ms = 0;
  std::string ip;
  std::string client;
  std::string user_agent;
  SessionStage stage = SessionStage::kFull;
};

struct NewSession {
  Session session;
  std::string token;  // goes into the cookie, never stored
};

enum class SessionLookup { kValid, kUnknown, kIdleExpired, kAbsoluteExpired };

class SessionStore {
 public:
  SessionStore(Database& db, const Clock& clock, SessionPolicy policy) : db_(db), clock_(clock), policy_(policy) {}

  NewSession create(const std::string& user_id, const std::string& ip, const std::string& client,
                    const std::string& user_agent, SessionStage stage = SessionStage::kFull);
  // Ends `old` and opens a full session in its place with a new id, token and CSRF token
  // (no fixation across the second factor).
  NewSession promote(const Session& old);
  // Counts a wrong second factor; at the limit the session is deleted. Returns true while
  // the session may try again.
  bool count_second_factor_failure(const Session& session);
  // Finds the session of a cookie token and refreshes its idle timer. An expired session is
  // deleted and reported as such (with the session, for the audit entry). Whoever deletes an
  // expired session reports it, so a session the sweep took meanwhile is kUnknown here.
  SessionLookup find(const std::string& token, Session& out);
  // Deletes and returns the half-finished logins (password accepted, second factor or
  // enrolment pending) that have expired: nobody may touch them again, and without this an
  // abandoned second step would leave no trace (see api/abandoned_logins.hpp).
  std::vector<Session> take_expired_half_sessions();
  std::vector<Session> list_for_user(const std::string& user_id);
  // Deletes the session if it belongs to the user; false when it does not exist for them.
  bool revoke(const std::string& user_id, const std::string& session_id);
  // Deletes all sessions of a user except `keep_session_id`; returns how many.
  int revoke_all_except(const std::string& user_id, const std::string& keep_session_id);
  std::int64_t count_active();
  const SessionPolicy& policy() const { return policy_; }

 private:
  Database& db_;
  const Clock& clock_;
  SessionPolicy policy_;
};

}  // namespace logbot::cloud
