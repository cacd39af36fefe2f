#include "cloud/audit/audit_export.hpp"

#include <boost/json/serialize.hpp>

#include "common/time_format.hpp"

namespace logbot::cloud {
namespace {

boost::json::value optional_json(const std::optional<std::string>& value) {
  if (value) return boost::json::string(*value);
  return nullptr;
}

void append_csv_field(std::string& out, const std::string& field) {
  // Quote every field; a leading =, +, - or @ is neutralised so a spreadsheet never runs it.
  out += '"';
  if (!field.empty() && (field[0] == '=' || field[0] == '+' || field[0] == '-' || field[0] == '@')) out += '\'';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

boost::json::object audit_entry_to_json(const AuditEntry& e) {
  boost::json::object o;
  o["seq"] = e.seq;
  o["time"] = format_iso8601_ms(e.time_ms);
  o["event"] = e.event;
  o["actor_type"] = e.actor_type;
  o["user_id"] = optional_json(e.user_id);
  o["username"] = optional_json(e.username);
  o["org_id"] = optional_json(e.org_id);
  o["ip"] = e.ip;
  o["client"] = e.client;
  o["details"] = e.details;
  o["hash"] = e.hash;
  return o;
}

std::string audit_entries_to_csv(const std::vector<AuditEntry>& entries) {
  std::string out = "Date,Event,IP,Client,Details,User,Actor,Seq\r\n";
  for (const AuditEntry& e : entries) {
    append_csv_field(out, format_iso8601_ms(e.time_ms));
    out += ',';
    append_csv_field(out, e.event);
    out += ',';
    append_csv_field(out, e.ip);
    out += ',';
    append_csv_field(out, e.client);
    out += ',';
    append_csv_field(out, e.details);
    out += ',';
    append_csv_field(out, e.username.value_or(""));
    out += ',';
    append_csv_field(out, e.actor_type);
    out += ',';
    out += std::to_string(e.seq);
    out += "\r\n";
  }
  return out;
}

std::string audit_entries_to_jsonl(const std::vector<AuditEntry>& entries) {
  std::string out;
  for (const AuditEntry& e : entries) {
    out += boost::json::serialize(audit_entry_to_json(e));
    out += '\n';
  }
  return out;
}

}  // namespace logbot::cloud
