#include "cloud/auth/totp_store.hpp"

#include "cloud/auth/recovery_codes.hpp"
#include "cloud/auth/totp.hpp"
#include "cloud/db/database.hpp"
#include "cloud/secrets/secret_box.hpp"

namespace logbot::cloud {
namespace {

// The sealed secret is bound to its user: copied onto another account it does not open.
std::string associated_data(const std::string& user_id) {
  return "totp-secret:" + user_id;
}

}  // namespace

std::optional<TotpState> TotpStore::find(const std::string& user_id) {
  std::optional<TotpState> out;
  std::string sealed;
  db_.query("SELECT secret_sealed, enabled, last_step FROM user_totp WHERE user_id = ?", {user_id},
            [&](const Row& row) {
              sealed = row.text(0);
              TotpState state;
              state.enabled = row.integer(1) != 0;
              state.pending = !state.enabled;
              state.last_step = row.integer(2);
              out = state;
            });
  if (!out) return out;
  auto secret = open_secret(secrets_key_, sealed, associated_data(user_id));
  if (!secret)
    throw DatabaseError(
        "the TOTP secret of user " + user_id + " does not decrypt: the secrets key file does not match this database",
        1);
  out->raw_secret = std::move(*secret);
  return out;
}

bool TotpStore::is_enabled(const std::string& user_id) {
  return db_.query_integer("SELECT enabled FROM user_totp WHERE user_id = ?", {user_id}).value_or(0) != 0;
}

std::string TotpStore::start_enrolment(const std::string& user_id) {
  const std::string secret = generate_totp_secret();
  db_.execute(
      "INSERT INTO user_totp (user_id, secret_sealed, enabled, last_step, created_ms) VALUES (?,?,0,-1,?) "
      "ON CONFLICT(user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, last_step = -1, "
      "created_ms = excluded.created_ms WHERE enabled = 0",
      {user_id, seal_secret(secrets_key_, secret, associated_data(user_id)), clock_.now_ms()});
  return secret;
}

void TotpStore::cancel_enrolment(const std::string& user_id) {
  db_.execute("DELETE FROM user_totp WHERE user_id = ? AND enabled = 0", {user_id});
}

void TotpStore::confirm_enrolment(const std::string& user_id, std::int64_t step) {
  Transaction tx(db_);
  db_.execute("UPDATE user_totp SET enabled = 1, last_step = ?, enabled_ms = ? WHERE user_id = ?",
              {step, clock_.now_ms(), user_id});
  db_.execute("DELETE FROM totp_enrolment_required WHERE user_id = ?", {user_id});
  tx.commit();
}

void TotpStore::remove(const std::string& user_id) {
  Transaction tx(db_);
  db_.execute("DELETE FROM user_totp WHERE user_id = ?", {user_id});
  db_.execute("DELETE FROM recovery_codes WHERE user_id = ?", {user_id});
  tx.commit();
}

void TotpStore::reset(const std::string& user_id) {
  Transaction tx(db_);
  remove(user_id);
  db_.execute(
      "INSERT INTO totp_enrolment_required (user_id, since_ms) VALUES (?,?) "
      "ON CONFLICT(user_id) DO UPDATE SET since_ms = excluded.since_ms",
      {user_id, clock_.now_ms()});
  tx.commit();
}

bool TotpStore::enrolment_required(const std::string& user_id) {
  return db_.query_integer("SELECT COUNT(*) FROM totp_enrolment_required WHERE user_id = ?", {user_id}).value_or(0) > 0;
}

bool TotpStore::accept_step(const std::string& user_id, std::int64_t step) {
  return db_.execute("UPDATE user_totp SET last_step = ? WHERE user_id = ? AND last_step < ?", {step, user_id, step}) ==
         1;
}

std::vector<std::string> TotpStore::replace_recovery_codes(const std::string& user_id) {
  std::vector<std::string> codes = generate_recovery_codes();
  Transaction tx(db_);
  db_.execute("DELETE FROM recovery_codes WHERE user_id = ?", {user_id});
  for (const std::string& code : codes)
    db_.execute("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?,?)",
                {user_id, recovery_code_hash(secrets_key_, *normalize_recovery_code(code))});
  tx.commit();
  return codes;
}

bool TotpStore::use_recovery_code(const std::string& user_id, const std::string& typed_code) {
  const auto normalized = normalize_recovery_code(typed_code);
  if (!normalized) return false;
  return db_.execute("UPDATE recovery_codes SET used_ms = ? WHERE user_id = ? AND code_hash = ? AND used_ms IS NULL",
                     {clock_.now_ms(), user_id, recovery_code_hash(secrets_key_, *normalized)}) == 1;
}

std::int64_t TotpStore::recovery_codes_remaining(const std::string& user_id) {
  return db_.query_integer("SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_ms IS NULL", {user_id})
      .value_or(0);
}

}  // namespace logbot::cloud
