#include "cloud/auth/session_store.hpp"

#include <algorithm>

#include "cloud/db/database.hpp"
#include "common/crypto/random.hpp"
#include "common/crypto/sha256.hpp"

namespace logbot::cloud {
namespace {

constexpr const char* kColumns =
    "id, user_id, csrf_token, created_ms, last_seen_ms, absolute_expiry_ms, ip, client, user_agent, stage";

SessionStage parse_stage(const std::string& text) {
  if (text == "totp_required") return SessionStage::kTotpRequired;
  if (text == "totp_enrolment_required") return SessionStage::kTotpEnrolmentRequired;
  return SessionStage::kFull;
}

Session session_from(const Row& row) {
  Session s;
  s.id = row.text(0);
  s.user_id = row.text(1);
  s.csrf_token = row.text(2);
  s.created_ms = row.integer(3);
  s.last_seen_ms = row.integer(4);
  s.absolute_expiry_ms = row.integer(5);
  s.ip = row.text(6);
  s.client = row.text(7);
  s.user_agent = row.text(8);
  s.stage = parse_stage(row.text(9));
  return s;
}

}  // namespace

std::string_view to_string(SessionStage stage) {
  switch (stage) {
    case SessionStage::kFull: return "full";
    case SessionStage::kTotpRequired: return "totp_required";
    case SessionStage::kTotpEnrolmentRequired: return "totp_enrolment_required";
  }
  return "full";
}

NewSession SessionStore::create(const std::string& user_id, const std::string& ip, const std::string& client,
                                const std::string& user_agent, SessionStage stage) {
  const std::int64_t now = clock_.now_ms();
  NewSession out;
  out.token = crypto::random_token(32);
  Session& s = out.session;
  s.id = crypto::random_hex(16);
  s.user_id = user_id;
  s.csrf_token = crypto::random_token(32);
  s.created_ms = now;
  s.last_seen_ms = now;
  s.stage = stage;
  switch (stage) {
    case SessionStage::kFull: s.absolute_expiry_ms = now + policy_.absolute_timeout_ms; break;
    case SessionStage::kTotpRequired: s.absolute_expiry_ms = now + policy_.second_factor_timeout_ms; break;
    case SessionStage::kTotpEnrolmentRequired: s.absolute_expiry_ms = now + policy_.enrolment_timeout_ms; break;
  }
  s.ip = ip;
  s.client = client;
  s.user_agent = user_agent.substr(0, 256);
  db_.execute(
      "INSERT INTO sessions (id, token_hash, user_id, csrf_token, created_ms, last_seen_ms, absolute_expiry_ms, ip, "
      "client, user_agent, stage) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
      {s.id, crypto::sha256_hex(out.token), s.user_id, s.csrf_token, s.created_ms, s.last_seen_ms, s.absolute_expiry_ms,
       s.ip, s.client, s.user_agent, std::string(to_string(stage))});
  return out;
}

NewSession SessionStore::promote(const Session& old) {
  Transaction tx(db_);
  db_.execute("DELETE FROM sessions WHERE id = ?", {old.id});
  NewSession promoted = create(old.user_id, old.ip, old.client, old.user_agent, SessionStage::kFull);
  tx.commit();
  return promoted;
}

bool SessionStore::count_second_factor_failure(const Session& session) {
  db_.execute("UPDATE sessions SET second_factor_failures = second_factor_failures + 1 WHERE id = ?", {session.id});
  const auto failures =
      db_.query_integer("SELECT second_factor_failures FROM sessions WHERE id = ?", {session.id}).value_or(0);
  if (failures < policy_.second_factor_attempts) return true;
  db_.execute("DELETE FROM sessions WHERE id = ?", {session.id});
  return false;
}

SessionLookup SessionStore::find(const std::string& token, Session& out) {
  if (token.empty() || token.size() > 128) return SessionLookup::kUnknown;
  std::optional<Session> found;
  db_.query(std::string("SELECT ") + kColumns + " FROM sessions WHERE token_hash = ?", {crypto::sha256_hex(token)},
            [&](const Row& row) { found = session_from(row); });
  if (!found) return SessionLookup::kUnknown;
  out = *found;
  const std::int64_t now = clock_.now_ms();
  SessionLookup verdict = SessionLookup::kValid;
  if (now >= found->absolute_expiry_ms)
    verdict = SessionLookup::kAbsoluteExpired;
  else if (now - found->last_seen_ms >= policy_.idle_timeout_ms)
    verdict = SessionLookup::kIdleExpired;
  if (verdict != SessionLookup::kValid) {
    // The sweep may have taken it between the SELECT and here: only one of us reports it.
    if (db_.execute("DELETE FROM sessions WHERE id = ?", {found->id}) == 0) return SessionLookup::kUnknown;
    return verdict;
  }
  db_.execute("UPDATE sessions SET last_seen_ms = ? WHERE id = ?", {now, found->id});
  out.last_seen_ms = now;
  return SessionLookup::kValid;
}

std::vector<Session> SessionStore::take_expired_half_sessions() {
  const std::int64_t now = clock_.now_ms();
  std::vector<Session> out;
  // One statement, so a concurrent find() of the same session either sees it valid or finds
  // nothing to delete (and then reports nothing).
  db_.query(std::string("DELETE FROM sessions WHERE stage <> 'full' AND (absolute_expiry_ms <= ? OR last_seen_ms <= ?) "
                        "RETURNING ") +
                kColumns,
            {now, now - policy_.idle_timeout_ms}, [&](const Row& row) { out.push_back(session_from(row)); });
  return out;
}

std::vector<Session> SessionStore::list_for_user(const std::string& user_id) {
  std::vector<Session> out;
  const std::int64_t now = clock_.now_ms();
  db_.query(std::string("SELECT ") + kColumns + " FROM sessions WHERE user_id = ? ORDER BY created_ms DESC", {user_id},
            [&](const Row& row) {
              Session s = session_from(row);
              if (now < s.absolute_expiry_ms && now - s.last_seen_ms < policy_.idle_timeout_ms) out.push_back(s);
            });
  return out;
}

bool SessionStore::revoke(const std::string& user_id, const std::string& session_id) {
  return db_.execute("DELETE FROM sessions WHERE id = ? AND user_id = ?", {session_id, user_id}) > 0;
}

int SessionStore::revoke_all_except(const std::string& user_id, const std::string& keep_session_id) {
  return db_.execute("DELETE FROM sessions WHERE user_id = ? AND id <> ?", {user_id, keep_session_id});
}

std::int64_t SessionStore::count_active() {
  const std::int64_t now = clock_.now_ms();
  return db_
      .query_integer("SELECT COUNT(*) FROM sessions WHERE absolute_expiry_ms > ? AND last_seen_ms > ?",
                     {now, now - policy_.idle_timeout_ms})
      .value_or(0);
}

}  // namespace logbot::cloud
