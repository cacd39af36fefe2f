#include "cloud/identity/invitation_store.hpp"

#include "cloud/db/database.hpp"
#include "common/crypto/random.hpp"
#include "common/crypto/sha256.hpp"

namespace logbot::cloud {
namespace {

constexpr const char* kSelect =
    "SELECT i.id, i.org_id, o.name, i.email, i.role, i.invited_by, u.email, i.created_ms, i.expires_ms, i.state "
    "FROM invitations i JOIN orgs o ON o.id = i.org_id LEFT JOIN users u ON u.id = i.invited_by ";

InvitationState parse_state(const std::string& text) {
  if (text == "accepted") return InvitationState::kAccepted;
  if (text == "declined") return InvitationState::kDeclined;
  if (text == "revoked") return InvitationState::kRevoked;
  if (text == "expired") return InvitationState::kExpired;
  return InvitationState::kPending;
}

Invitation invitation_from(const Row& row) {
  Invitation i;
  i.id = row.text(0);
  i.org_id = row.text(1);
  i.org_name = row.text(2);
  i.email = row.text(3);
  i.role = parse_role(row.text(4)).value_or(Role::kViewer);
  i.invited_by = row.optional_text(5);
  i.invited_by_email = row.optional_text(6);
  i.created_ms = row.integer(7);
  i.expires_ms = row.integer(8);
  i.state = parse_state(row.text(9));
  return i;
}

std::string token_hash(const std::string& token) {
  return crypto::sha256_hex("invitation-token\n" + token);
}

std::vector<Invitation> select(Database& db, const std::string& where, const std::vector<SqlValue>& params) {
  std::vector<Invitation> out;
  db.query(std::string(kSelect) + where, params, [&](const Row& row) { out.push_back(invitation_from(row)); });
  return out;
}

std::optional<Invitation> first(std::vector<Invitation> found) {
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

// Pending and not yet past its expiry (expire_due() may not have run since).
constexpr const char* kLive = " AND i.state = 'pending' AND i.expires_ms > ?";

}  // namespace

std::string_view to_string(InvitationState state) {
  switch (state) {
    case InvitationState::kPending: return "pending";
    case InvitationState::kAccepted: return "accepted";
    case InvitationState::kDeclined: return "declined";
    case InvitationState::kRevoked: return "revoked";
    case InvitationState::kExpired: return "expired";
  }
  return "pending";
}

NewInvitation InvitationStore::create(const std::string& org_id, const std::string& email, Role role,
                                      const std::optional<std::string>& invited_by, std::int64_t lifetime_ms) {
  const std::int64_t now = clock_.now_ms();
  NewInvitation out;
  out.token = crypto::random_token(32);
  Invitation& i = out.invitation;
  i.id = crypto::uuid_v4();
  i.org_id = org_id;
  i.email = email;
  i.role = role;
  i.invited_by = invited_by;
  i.created_ms = now;
  i.expires_ms = now + lifetime_ms;
  SqlValue inviter = nullptr;
  if (invited_by) inviter = *invited_by;
  db_.execute(
      "INSERT INTO invitations (id, org_id, email, role, token_hash, invited_by, created_ms, expires_ms, state) "
      "VALUES (?,?,?,?,?,?,?,?,'pending')",
      {i.id, org_id, email, std::string(to_string(role)), token_hash(out.token), inviter, now, i.expires_ms});
  return out;
}

std::vector<Invitation> InvitationStore::expire_due() {
  const std::int64_t now = clock_.now_ms();
  std::vector<Invitation> due;
  db_.query(std::string(kSelect) + "WHERE i.state = 'pending' AND i.expires_ms <= ?", {now},
            [&](const Row& row) { due.push_back(invitation_from(row)); });
  std::vector<Invitation> expired;
  for (Invitation& i : due)
    if (finish(i.id, InvitationState::kExpired)) {
      i.state = InvitationState::kExpired;
      expired.push_back(std::move(i));
    }
  return expired;
}

std::vector<Invitation> InvitationStore::pending_for_org(const std::string& org_id) {
  return select(db_, std::string("WHERE i.org_id = ?") + kLive + " ORDER BY i.created_ms DESC",
                {org_id, clock_.now_ms()});
}

std::vector<Invitation> InvitationStore::pending_for_email(const std::string& email) {
  return select(db_, std::string("WHERE i.email = ?") + kLive + " ORDER BY i.created_ms DESC",
                {email, clock_.now_ms()});
}

std::optional<Invitation> InvitationStore::find_pending_in_org(const std::string& org_id,
                                                               const std::string& invitation_id) {
  return first(
      select(db_, std::string("WHERE i.id = ? AND i.org_id = ?") + kLive, {invitation_id, org_id, clock_.now_ms()}));
}

std::optional<Invitation> InvitationStore::find_pending_for_email(const std::string& email,
                                                                  const std::string& invitation_id) {
  return first(
      select(db_, std::string("WHERE i.id = ? AND i.email = ?") + kLive, {invitation_id, email, clock_.now_ms()}));
}

std::optional<Invitation> InvitationStore::find_pending_by_token(const std::string& token) {
  if (token.empty() || token.size() > 128) return std::nullopt;
  return first(select(db_, std::string("WHERE i.token_hash = ?") + kLive, {token_hash(token), clock_.now_ms()}));
}

bool InvitationStore::finish(const std::string& invitation_id, InvitationState state) {
  return db_.execute("UPDATE invitations SET state = ?, ended_ms = ? WHERE id = ? AND state = 'pending'",
                     {std::string(to_string(state)), clock_.now_ms(), invitation_id}) > 0;
}

}  // namespace logbot::cloud
