#include "cloud/audit/audit_log.hpp"

#include <algorithm>
#include <map>

#include "cloud/db/database.hpp"

namespace logbot::cloud {
namespace {

constexpr const char* kColumns =
    "seq, time_ms, event, actor_type, user_id, username, org_id, ip, client, details, prev_hash, hash";

AuditEntry entry_from(const Row& row) {
  AuditEntry e;
  e.seq = row.integer(0);
  e.time_ms = row.integer(1);
  e.event = row.text(2);
  e.actor_type = row.text(3);
  e.user_id = row.optional_text(4);
  e.username = row.optional_text(5);
  e.org_id = row.optional_text(6);
  e.ip = row.text(7);
  e.client = row.text(8);
  e.details = row.text(9);
  e.prev_hash = row.text(10);
  e.hash = row.text(11);
  return e;
}

SqlValue optional_value(const std::optional<std::string>& value) {
  if (value) return *value;
  return nullptr;
}

}  // namespace

AuditLog::AuditLog(Database& db, const Clock& clock, std::string chain_key, std::filesystem::path anchor_file)
    : db_(db), clock_(clock), chain_key_(std::move(chain_key)) {
  if (!anchor_file.empty()) anchor_ = std::make_unique<AnchorWriter>(std::move(anchor_file));
}

AuditEntry AuditLog::append(const AuditRecord& record) {
  Transaction tx(db_);
  AuditEntry e;
  e.seq = 1;
  e.prev_hash = kAuditGenesisHash;
  db_.query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1", {}, [&](const Row& row) {
    e.seq = row.integer(0) + 1;
    e.prev_hash = row.text(1);
  });
  e.time_ms = clock_.now_ms();
  e.event = std::string(to_string(record.code));
  e.actor_type = std::string(to_string(record.actor_type));
  e.user_id = record.user_id;
  e.username = record.username;
  e.org_id = record.org_id;
  e.ip = record.ip;
  e.client = record.client;
  e.details = format_details(record.details);
  e.hash = audit_entry_hash(e, chain_key_);
  db_.execute(std::string("INSERT INTO audit_events (") + kColumns + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
              {e.seq, e.time_ms, e.event, e.actor_type, optional_value(e.user_id), optional_value(e.username),
               optional_value(e.org_id), e.ip, e.client, e.details, e.prev_hash, e.hash});
  if (anchor_) {
    // After the outermost commit, never before: the anchor must not claim an entry that a
    // rollback took back (that would be a false alarm of truncation).
    db_.after_commit(
        [this, line = format_anchor_line({e.seq, e.time_ms, e.hash}, chain_key_)] { anchor_->append(line); });
  }
  tx.commit();
  appended_ += 1;
  return e;
}

std::vector<AuditEntry> AuditLog::query(const AuditQuery& q) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM audit_events WHERE 1=1";
  std::vector<SqlValue> params;
  if (q.user_id) {
    sql += " AND user_id = ?";
    params.emplace_back(*q.user_id);
  }
  if (q.org_id) {
    // An organisation sees what happened in it, and nothing else: a member's logins, lockouts
    // and password changes are account events (no organisation) that only the account sees,
    // and another organisation's events are that organisation's.
    sql += " AND org_id = ?";
    params.emplace_back(*q.org_id);
  }
  if (q.event) {
    sql += " AND event = ?";
    params.emplace_back(*q.event);
  }
  if (q.username) {
    sql += " AND username = ? COLLATE NOCASE";
    params.emplace_back(*q.username);
  }
  if (q.from_ms) {
    sql += " AND time_ms >= ?";
    params.emplace_back(*q.from_ms);
  }
  if (q.to_ms) {
    sql += " AND time_ms <= ?";
    params.emplace_back(*q.to_ms);
  }
  if (q.before_seq) {
    sql += " AND seq < ?";
    params.emplace_back(*q.before_seq);
  }
  sql += " ORDER BY seq DESC LIMIT ?";
  params.emplace_back(std::int64_t{q.limit});
  std::vector<AuditEntry> out;
  db_.query(sql, params, [&](const Row& row) { out.push_back(entry_from(row)); });
  return out;
}

AuditVerification AuditLog::verify(const AnchorFile* anchor) {
  AuditVerification result;
  auto broken = [&](std::int64_t seq, std::string problem) {
    result.intact = false;
    result.first_broken_seq = seq;
    result.problem = std::move(problem);
  };
  // seq -> anchored hash. Two different hashes for one seq: the log was started over.
  std::map<std::int64_t, std::string> anchored;
  std::optional<std::int64_t> conflicting_seq;
  if (anchor != nullptr) {
    for (const AnchorHead& head : anchor->heads) {
      auto [it, inserted] = anchored.emplace(head.seq, head.hash);
      if (!inserted && it->second != head.hash && !conflicting_seq) conflicting_seq = head.seq;
      result.anchored_last_seq = std::max(result.anchored_last_seq, head.seq);
    }
    result.anchored_heads = static_cast<std::int64_t>(anchor->heads.size());
  }
  std::int64_t expected_seq = 1;
  std::string expected_prev = kAuditGenesisHash;
  db_.query(std::string("SELECT ") + kColumns + " FROM audit_events ORDER BY seq", {}, [&](const Row& row) {
    if (!result.intact) return;
    const AuditEntry e = entry_from(row);
    ++result.entries;
    if (e.seq != expected_seq) {
      broken(expected_seq, "entry " + std::to_string(expected_seq) +
                               " is missing (deleted); the next stored entry is " + std::to_string(e.seq));
      return;
    }
    if (audit_entry_hash(e, chain_key_) != e.hash) {
      broken(e.seq, "content does not match its hash (modified or moved)");
      return;
    }
    if (e.prev_hash != expected_prev) {
      broken(e.seq, "does not link to the previous entry (an entry before it was replaced or reordered)");
      return;
    }
    if (const auto it = anchored.find(e.seq); it != anchored.end() && it->second != e.hash) {
      broken(e.seq, "its hash differs from the one the anchor recorded for seq " + std::to_string(e.seq) +
                        " (the history from here on was replaced)");
      return;
    }
    expected_prev = e.hash;
    ++expected_seq;
  });
  if (!result.intact || anchor == nullptr) return result;
  const std::int64_t last_stored = expected_seq - 1;
  if (result.anchored_last_seq > last_stored) {
    broken(last_stored + 1, "entries " + std::to_string(last_stored + 1) + " to " +
                                std::to_string(result.anchored_last_seq) + " are missing: the database ends at seq " +
                                std::to_string(last_stored) + " but the anchor recorded seq " +
                                std::to_string(result.anchored_last_seq) +
                                (last_stored == 0 ? " (the log was wiped)" : " (the newest entries were deleted)"));
    return result;
  }
  if (conflicting_seq)
    broken(*conflicting_seq, "the anchor recorded two different hashes for seq " + std::to_string(*conflicting_seq) +
                                 " (the log was started over after a wipe)");
  return result;
}

}  // namespace logbot::cloud
