// The tamper-evident audit log: append-only (database triggers refuse UPDATE and DELETE)
// and hash-chained (each entry commits to the one before), verifiable offline.
#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cloud/audit/audit_anchor.hpp"
#include "cloud/audit/audit_event.hpp"
#include "common/clock.hpp"

namespace logbot::cloud {
class Database;

struct AuditQuery {
  std::optional<std::string> user_id = {};      // the account log: one user's own events
  std::optional<std::string> org_id = {};       // the organisation log: entries of that organisation only
  std::optional<std::string> event = {};        // filter by code
  std::optional<std::string> username = {};     // filter by user e-mail
  std::optional<std::int64_t> from_ms = {};     // inclusive
  std::optional<std::int64_t> to_ms = {};       // inclusive
  std::optional<std::int64_t> before_seq = {};  // paging, newest first
  int limit = 100;
};

struct AuditVerification {
  bool intact = true;
  std::int64_t entries = 0;
  std::int64_t first_broken_seq = 0;
  std::string problem;                 // what is wrong with that entry
  std::int64_t anchored_heads = 0;     // heads of the anchor file checked (0: none given)
  std::int64_t anchored_last_seq = 0;  // the highest seq the anchor records
};

class AuditLog {
 public:
  // `chain_key`: the HMAC key of the hash chain (see audit_entry_hash). `anchor_file`: where
  // the chain head goes after every committed append (audit_anchor.hpp); empty: nowhere.
  AuditLog(Database& db, const Clock& clock, std::string chain_key, std::filesystem::path anchor_file = {});
  // Appends one entry in its own transaction (or the caller's, if one is open on this thread).
  // Throws DatabaseError when the entry cannot be stored: a security action must not
  // happen unaudited. The anchor line follows once the entry is committed.
  AuditEntry append(const AuditRecord& record);
  std::vector<AuditEntry> query(const AuditQuery& query);
  // Checks the chain and, with `anchor`, that every anchored head is still in the database
  // with the same hash (so neither truncation nor a wipe nor a replaced history verifies).
  AuditVerification verify(const AnchorFile* anchor = nullptr);
  const std::string& chain_key() const { return chain_key_; }
  std::int64_t appended_count() const { return appended_.load(); }

 private:
  Database& db_;
  const Clock& clock_;
  std::string chain_key_;
  std::unique_ptr<AnchorWriter> anchor_;
  std::atomic<std::int64_t> appended_{0};
};

}  // namespace logbot::cloud
