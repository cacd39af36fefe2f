#include "cloud/devices/device_store.hpp"

#include "cloud/db/database.hpp"
#include "common/crypto/random.hpp"
#include "common/crypto/sha256.hpp"

namespace logbot::cloud {
namespace {

constexpr const char* kColumns =
    "id, org_id, name, site, expected_uuid, device_uuid, state, certificate_serial, certificate_not_after_ms, "
    "enrolled_ms, enrolled_ip, created_ms, revoked_ms, last_seen_ms, agent_version, last_ip, "
    "previous_certificate_serial";

std::optional<std::int64_t> optional_integer(const Row& row, int column) {
  if (row.is_null(column)) return std::nullopt;
  return row.integer(column);
}

DeviceState parse_state(const std::string& text) {
  if (text == "enrolled") return DeviceState::kEnrolled;
  if (text == "revoked") return DeviceState::kRevoked;
  return DeviceState::kRegistered;
}

Device device_from(const Row& row) {
  Device d;
  d.id = row.text(0);
  d.org_id = row.text(1);
  d.name = row.text(2);
  d.site = row.text(3);
  d.expected_uuid = row.optional_text(4);
  d.device_uuid = row.optional_text(5);
  d.state = parse_state(row.text(6));
  d.certificate_serial = row.optional_text(7);
  d.certificate_not_after_ms = optional_integer(row, 8);
  d.enrolled_ms = optional_integer(row, 9);
  d.enrolled_ip = row.optional_text(10);
  d.created_ms = row.integer(11);
  d.revoked_ms = optional_integer(row, 12);
  d.last_seen_ms = optional_integer(row, 13);
  d.previous_certificate_serial = row.optional_text(16);
  d.agent_version = row.optional_text(14);
  d.last_ip = row.optional_text(15);
  return d;
}

// Only the hash of a token secret is stored: a database copy holds no usable token.
std::string token_hash(const std::string& secret) {
  return crypto::sha256_hex("enrolment-token\n" + secret);
}

SqlValue optional_value(const std::optional<std::string>& value) {
  if (value) return *value;
  return nullptr;
}

}  // namespace

std::string_view to_string(DeviceState state) {
  switch (state) {
    case DeviceState::kRegistered: return "registered";
    case DeviceState::kEnrolled: return "enrolled";
    case DeviceState::kRevoked: return "revoked";
  }
  return "registered";
}

std::optional<std::string> normalize_uuid(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position) {
      if (c != '-') return std::nullopt;
    } else {
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
    }
    out.push_back(c);
  }
  return out;
}

Device DeviceStore::register_device(const std::string& org_id, const std::string& name, const std::string& site,
                                    const std::optional<std::string>& expected_uuid) {
  Device d;
  d.id = crypto::uuid_v4();
  d.org_id = org_id;
  d.name = name;
  d.site = site;
  d.expected_uuid = expected_uuid;
  d.created_ms = clock_.now_ms();
  db_.execute("INSERT INTO devices (id, org_id, name, site, expected_uuid, state, created_ms) VALUES (?,?,?,?,?,?,?)",
              {d.id, d.org_id, d.name, d.site, optional_value(expected_uuid), std::string("registered"), d.created_ms});
  return d;
}

std::optional<Device> DeviceStore::find(const std::string& org_id, const std::string& device_id) {
  std::optional<Device> out;
  db_.query(std::string("SELECT ") + kColumns + " FROM devices WHERE org_id = ? AND id = ?", {org_id, device_id},
            [&](const Row& row) { out = device_from(row); });
  return out;
}

std::optional<Device> DeviceStore::find_by_uuid(const std::string& org_id, const std::string& device_uuid) {
  std::optional<Device> out;
  db_.query(std::string("SELECT ") + kColumns + " FROM devices WHERE org_id = ? AND device_uuid = ?",
            {org_id, device_uuid}, [&](const Row& row) { out = device_from(row); });
  return out;
}

std::vector<Device> DeviceStore::list(const std::string& org_id) {
  std::vector<Device> out;
  db_.query(std::string("SELECT ") + kColumns + " FROM devices WHERE org_id = ? ORDER BY name", {org_id},
            [&](const Row& row) { out.push_back(device_from(row)); });
  return out;
}

std::string DeviceStore::issue_token(const std::string& device_id, std::int64_t lifetime_ms) {
  const std::string secret = crypto::random_token(32);
  const std::int64_t now = clock_.now_ms();
  Transaction tx(db_);
  db_.execute("DELETE FROM enrolment_tokens WHERE device_id = ? AND used_ms IS NULL", {device_id});
  db_.execute("INSERT INTO enrolment_tokens (token_hash, device_id, created_ms, expires_ms) VALUES (?,?,?,?)",
              {token_hash(secret), device_id, now, now + lifetime_ms});
  tx.commit();
  return secret;
}

TokenLookup DeviceStore::look_up_token(const std::string& secret) {
  TokenLookup lookup;
  std::string device_id;
  std::int64_t expires_ms = 0;
  bool used = false;
  db_.query("SELECT device_id, expires_ms, used_ms IS NOT NULL FROM enrolment_tokens WHERE token_hash = ?",
            {token_hash(secret)}, [&](const Row& row) {
              device_id = row.text(0);
              expires_ms = row.integer(1);
              used = row.integer(2) != 0;
            });
  if (device_id.empty()) return lookup;
  db_.query(std::string("SELECT ") + kColumns + " FROM devices WHERE id = ?", {device_id},
            [&](const Row& row) { lookup.device = device_from(row); });
  if (!lookup.device) return lookup;
  lookup.status = used                            ? TokenStatus::kUsed
                  : clock_.now_ms() >= expires_ms ? TokenStatus::kExpired
                                                  : TokenStatus::kValid;
  return lookup;
}

void DeviceStore::complete_enrolment(const std::string& secret, const std::string& device_id,
                                     const std::string& device_uuid, const std::string& serial,
                                     std::int64_t not_after_ms, const std::string& ip) {
  const std::int64_t now = clock_.now_ms();
  Transaction tx(db_);
  // The token is used up in the same statement that checks it: two racing agents cannot both enrol.
  if (db_.execute("UPDATE enrolment_tokens SET used_ms = ? WHERE token_hash = ? AND used_ms IS NULL",
                  {now, token_hash(secret)}) != 1)
    throw DatabaseError("the enrolment token was used concurrently", 19);
  db_.execute(
      "UPDATE devices SET device_uuid = ?, state = 'enrolled', certificate_serial = ?, certificate_not_after_ms = ?, "
      "enrolled_ms = ?, enrolled_ip = ? WHERE id = ?",
      {device_uuid, serial, not_after_ms, now, ip, device_id});
  db_.execute("INSERT INTO device_certificates (serial, device_id, not_after_ms, issued_ms) VALUES (?,?,?,?)",
              {serial, device_id, not_after_ms, now});
  tx.commit();
}

std::optional<Device> DeviceStore::find_by_certificate(const std::string& org_id, const std::string& device_uuid,
                                                       const std::string& serial) {
  std::optional<Device> out;
  db_.query(std::string("SELECT ") + kColumns +
                " FROM devices WHERE (certificate_serial = ? OR previous_certificate_serial = ?) AND org_id = ? AND "
                "device_uuid = ? AND state = 'enrolled'",
            {serial, serial, org_id, device_uuid}, [&](const Row& row) { out = device_from(row); });
  return out;
}

void DeviceStore::record_contact(const std::string& device_id, const std::string& agent_version,
                                 const std::string& ip) {
  db_.execute("UPDATE devices SET last_seen_ms = ?, agent_version = ?, last_ip = ? WHERE id = ?",
              {clock_.now_ms(), agent_version.substr(0, 64), ip, device_id});
}

void DeviceStore::record_heartbeat(const std::string& device_id) {
  db_.execute("UPDATE devices SET last_seen_ms = ? WHERE id = ?", {clock_.now_ms(), device_id});
}

void DeviceStore::replace_certificate(const std::string& device_id, const std::string& renewed_from,
                                      const std::string& serial, std::int64_t not_after_ms) {
  const std::int64_t now = clock_.now_ms();
  Transaction tx(db_);
  // Every certificate of the device but the one it renewed from stops working (a renewal that
  // was never used, when the device asks again with its older certificate).
  db_.execute(
      "UPDATE device_certificates SET revoked_ms = ? WHERE device_id = ? AND revoked_ms IS NULL AND serial <> ?",
      {now, device_id, renewed_from});
  db_.execute("INSERT INTO device_certificates (serial, device_id, not_after_ms, issued_ms) VALUES (?,?,?,?)",
              {serial, device_id, not_after_ms, now});
  db_.execute(
      "UPDATE devices SET certificate_serial = ?, certificate_not_after_ms = ?, previous_certificate_serial = ? "
      "WHERE id = ?",
      {serial, not_after_ms, renewed_from, device_id});
  tx.commit();
}

bool DeviceStore::confirm_certificate(const std::string& device_id) {
  const std::int64_t now = clock_.now_ms();
  Transaction tx(db_);
  db_.execute(
      "UPDATE device_certificates SET revoked_ms = ? WHERE revoked_ms IS NULL AND serial = "
      "(SELECT previous_certificate_serial FROM devices WHERE id = ?)",
      {now, device_id});
  const bool confirmed = db_.execute(
                             "UPDATE devices SET previous_certificate_serial = NULL WHERE id = ? AND "
                             "previous_certificate_serial IS NOT NULL",
                             {device_id}) == 1;
  tx.commit();
  return confirmed;
}

std::int64_t DeviceStore::certificates_issued_since(const std::string& device_id, std::int64_t since_ms) {
  return db_
      .query_integer("SELECT COUNT(*) FROM device_certificates WHERE device_id = ? AND issued_ms >= ?",
                     {device_id, since_ms})
      .value_or(0);
}

void DeviceStore::revoke(const std::string& device_id) {
  const std::int64_t now = clock_.now_ms();
  Transaction tx(db_);
  db_.execute("UPDATE devices SET state = 'revoked', revoked_ms = ?, previous_certificate_serial = NULL WHERE id = ?",
              {now, device_id});
  db_.execute("UPDATE device_certificates SET revoked_ms = ? WHERE device_id = ? AND revoked_ms IS NULL",
              {now, device_id});
  // Pending tokens stay, so that an attempt to use one is refused as "device revoked" and
  // audited in the organisation, not as an unknown token.
  tx.commit();
}

}  // namespace logbot::cloud
