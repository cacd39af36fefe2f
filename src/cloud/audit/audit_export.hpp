// Audit entries as JSON (API), CSV (the "Account log" columns) and JSON lines (SIEM import).
#pragma once
#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "cloud/audit/audit_event.hpp"

namespace logbot::cloud {

boost::json::object audit_entry_to_json(const AuditEntry& entry);
// Header "Date,Event,IP,Client,Details" (the account-log columns) then User, Actor and Seq
// (to match an entry with `audit verify`); one RFC 4180 row per entry.
std::string audit_entries_to_csv(const std::vector<AuditEntry>& entries);
std::string audit_entries_to_jsonl(const std::vector<AuditEntry>& entries);

}  // namespace logbot::cloud
