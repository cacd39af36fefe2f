// Each user's authenticator (sealed TOTP secret, enabled flag, last accepted step) and
// recovery codes. The last accepted step makes every code single-use: a step is accepted
// only if it is newer than the last one, checked and set in one UPDATE.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"

namespace logbot::cloud {
class Database;

struct TotpState {
  bool enabled = false;
  bool pending = false;    // enrolment started, not yet confirmed
  std::string raw_secret;  // decrypted
  std::int64_t last_step = -1;
};

class TotpStore {
 public:
  TotpStore(Database& db, const Clock& clock, std::string secrets_key)
      : db_(db), clock_(clock), secrets_key_(std::move(secrets_key)) {}

  // nullopt: no authenticator at all. Throws DatabaseError if the sealed secret does not open
  // (wrong key file): better refuse than silently disable 2FA.
  std::optional<TotpState> find(const std::string& user_id);
  bool is_enabled(const std::string& user_id);
  // Starts (or restarts) an enrolment with a new secret; returns the raw secret.
  std::string start_enrolment(const std::string& user_id);
  void cancel_enrolment(const std::string& user_id);
  // Enables the pending authenticator and records `step` as used; a reset's demand to enrol
  // (see reset()) is met by it.
  void confirm_enrolment(const std::string& user_id, std::int64_t step);
  // Removes the authenticator and the recovery codes.
  void remove(const std::string& user_id);
  // The recovery path for a lost authenticator: removes it and the recovery codes, and makes
  // enrolment_required() true until a new one is confirmed.
  void reset(const std::string& user_id);
  // True after reset() until the next confirm_enrolment(): the next login must enrol.
  bool enrolment_required(const std::string& user_id);
  // Marks `step` used if it is newer than the last used one; false for a replay.
  bool accept_step(const std::string& user_id, std::int64_t step);

  // Replaces all recovery codes; returns the new codes in clear (shown once).
  std::vector<std::string> replace_recovery_codes(const std::string& user_id);
  // Uses up one code; false when it is unknown or used already.
  bool use_recovery_code(const std::string& user_id, const std::string& typed_code);
  std::int64_t recovery_codes_remaining(const std::string& user_id);

 private:
  Database& db_;
  const Clock& clock_;
  std::string secrets_key_;
};

}  // namespace logbot::cloud
