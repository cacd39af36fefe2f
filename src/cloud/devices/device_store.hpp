// The devices of each organisation, their one-time enrolment tokens and the certificates
// issued to them. A device moves registered -> enrolled -> revoked; revoked is final
// (a new registration is a new device).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"

namespace logbot::cloud {
class Database;

enum class DeviceState { kRegistered, kEnrolled, kRevoked };
std::string_view to_string(DeviceState state);

struct Device {
  std::string id;
  std::string org_id;
  std::string name;
  std::string site;
  std::optional<std::string> expected_uuid;
  std::optional<std::string> device_uuid;
  DeviceState state = DeviceState::kRegistered;
  std::optional<std::string> certificate_serial;  // the current certificate (the newest issued)
  std::optional<std::int64_t> certificate_not_after_ms;
  // Set between a renewal and the first use of the renewed certificate: the certificate the
  // device renewed from, still accepted.
  std::optional<std::string> previous_certificate_serial;
  std::optional<std::int64_t> enrolled_ms;
  std::optional<std::string> enrolled_ip;
  std::int64_t created_ms = 0;
  std::optional<std::int64_t> revoked_ms;
  std::optional<std::int64_t> last_seen_ms;
  std::optional<std::string> agent_version;
  std::optional<std::string> last_ip;
};

// What redeeming a token found.
enum class TokenStatus { kValid, kUnknown, kUsed, kExpired };
struct TokenLookup {
  TokenStatus status = TokenStatus::kUnknown;
  std::optional<Device> device;  // set unless kUnknown
};

class DeviceStore {
 public:
  DeviceStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Throws DatabaseError (constraint) when the name is taken in the organisation.
  Device register_device(const std::string& org_id, const std::string& name, const std::string& site,
                         const std::optional<std::string>& expected_uuid);
  std::optional<Device> find(const std::string& org_id, const std::string& device_id);
  // The device of this organisation that enrolled with this UUID. A UUID is unique within an
  // organisation only: another tenant's devices are never consulted.
  std::optional<Device> find_by_uuid(const std::string& org_id, const std::string& device_uuid);
  std::vector<Device> list(const std::string& org_id);
  // A new one-time secret for the device (earlier unused ones stop working); returns the secret.
  std::string issue_token(const std::string& device_id, std::int64_t lifetime_ms);
  // Looks a secret up without using it.
  TokenLookup look_up_token(const std::string& secret);
  // Uses up the token and records the enrolment, in one transaction with the caller's audit entry.
  void complete_enrolment(const std::string& secret, const std::string& device_id, const std::string& device_uuid,
                          const std::string& serial, std::int64_t not_after_ms, const std::string& ip);
  void revoke(const std::string& device_id);
  // The enrolled device whose current or previous certificate has this serial and names this
  // organisation (O) and UUID (CN), or nullopt (revoked, superseded by a confirmed renewal, or
  // unknown). A serial is unique, so a certificate maps to at most one device whatever other
  // tenants enrolled.
  std::optional<Device> find_by_certificate(const std::string& org_id, const std::string& device_uuid,
                                            const std::string& serial);
  void record_contact(const std::string& device_id, const std::string& agent_version, const std::string& ip);
  void record_heartbeat(const std::string& device_id);
  // A renewed certificate becomes the device's current one. `renewed_from` (the certificate of
  // the connection that asked) stays valid as the previous one until confirm_certificate();
  // any other certificate of the device stops working.
  void replace_certificate(const std::string& device_id, const std::string& renewed_from, const std::string& serial,
                           std::int64_t not_after_ms);
  // The device used its current certificate: the previous one stops working. True when there
  // was a previous one (a renewal was confirmed just now).
  bool confirm_certificate(const std::string& device_id);
  // How many certificates were issued to the device at or after `since_ms` (enrolment included).
  std::int64_t certificates_issued_since(const std::string& device_id, std::int64_t since_ms);

 private:
  Database& db_;
  const Clock& clock_;
};

// Canonical lower-case v4-style UUID text, or nullopt.
std::optional<std::string> normalize_uuid(std::string_view text);

}  // namespace logbot::cloud
