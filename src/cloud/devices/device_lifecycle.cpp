#include "cloud/devices/device_lifecycle.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "cloud/db/database.hpp"
#include "cloud/services.hpp"

namespace logbot::cloud::devices {
namespace {

// An entry of the device as actor: enrolment and the uplink speak for a device, not a user.
AuditRecord device_record(AuditCode code, const std::string& ip) {
  AuditRecord record;
  record.code = code;
  record.actor_type = ActorType::kDevice;
  record.ip = ip;
  record.client = "agent";
  return record;
}

}  // namespace

std::string_view code_text(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request: return "bad_request";
    case ErrorCode::invalid_token:
    case ErrorCode::token_used: return "invalid_token";
    case ErrorCode::token_expired: return "token_expired";
    case ErrorCode::device_revoked: return "device_revoked";
    case ErrorCode::uuid_mismatch: return "uuid_mismatch";
    case ErrorCode::uuid_in_use: return "uuid_in_use";
    case ErrorCode::bad_csr: return "bad_csr";
    case ErrorCode::not_ready: return "not_ready";
    case ErrorCode::unknown_certificate: return "unknown_certificate";
    case ErrorCode::renewal_too_soon: return "renewal_too_soon";
    case ErrorCode::certificate_expired: return "certificate_expired";
  }
  return "error";
}

Error refuse_enrolment(Services& services, const std::string& ip, Error error) {
  AuditRecord failure = device_record(AuditCode::kEnrollError, ip);
  failure.details = {{"reason", std::string(code_text(error.code))}};
  services.audit.append(failure);
  return error;
}

Result<Enrolled> enrol(Services& services, const EnrolRequest& request) {
  if (!services.device_ca) return fail(ErrorCode::not_ready, "the device CA is not loaded");
  const auto uuid = normalize_uuid(request.uuid);
  if (!uuid)
    return refuse_enrolment(services, request.ip, fail(ErrorCode::bad_request, "uuid must be the device's UUID"));

  AuditRecord failure = device_record(AuditCode::kEnrollError, request.ip);
  failure.details = {{"uuid", *uuid}};
  auto refuse = [&](ErrorCode code, std::string message) -> Error {
    failure.details.emplace_back("reason", std::string(code_text(code)));
    services.audit.append(failure);
    return fail(code, std::move(message));
  };

  const TokenLookup lookup = services.devices.look_up_token(request.token_secret);
  if (lookup.device) {
    failure.org_id = lookup.device->org_id;
    failure.details.emplace_back("device_id", lookup.device->id);
  }
  switch (lookup.status) {
    case TokenStatus::kUnknown: return refuse(ErrorCode::invalid_token, "the enrolment token is not valid");
    case TokenStatus::kUsed:
      return refuse(ErrorCode::token_used, "the enrolment token was used already: ask for a new one");
    case TokenStatus::kExpired:
      return refuse(ErrorCode::token_expired, "the enrolment token has expired: ask for a new one");
    case TokenStatus::kValid: break;
  }
  const Device& device = *lookup.device;
  if (device.state == DeviceState::kRevoked)
    return refuse(ErrorCode::device_revoked, "this device was revoked: register a new one");
  if (device.expected_uuid && *device.expected_uuid != *uuid)
    return refuse(ErrorCode::uuid_mismatch,
                  "this token is for a device with another UUID (" + *device.expected_uuid + ")");
  if (device.device_uuid && *device.device_uuid != *uuid)
    return refuse(ErrorCode::uuid_mismatch, "this device was enrolled with another UUID");
  // Only this organisation's devices are consulted: whether another tenant knows this UUID is
  // none of this one's business, and cannot stand in its way.
  if (auto owner = services.devices.find_by_uuid(device.org_id, *uuid); owner && owner->id != device.id)
    return refuse(ErrorCode::uuid_in_use,
                  "a device with this UUID is already registered in this organisation (" + owner->name + ")");

  auto issued =
      services.device_ca->issue(request.csr_pem, *uuid, device.org_id, services.config.device_certificate_lifetime());
  if (!issued) return refuse(issued.error().code, issued.error().message);

  Transaction tx(*services.db);
  services.devices.complete_enrolment(request.token_secret, device.id, *uuid, issued->serial, issued->not_after_ms,
                                      request.ip);
  AuditRecord record = device_record(AuditCode::kDeviceEnrolled, request.ip);
  record.org_id = device.org_id;
  record.details = {{"device", device.name},
                    {"device_id", device.id},
                    {"uuid", *uuid},
                    {"ip", request.ip},
                    {"serial", issued->serial}};
  services.audit.append(record);
  tx.commit();
  return Enrolled{device, std::move(*issued), services.device_ca->certificate_pem()};
}

Result<Device> authenticate(Services& services, const PresentedCertificate& presented, const std::string& ip) {
  auto device = services.devices.find_by_certificate(presented.org_id, presented.uuid, presented.serial);
  if (!device)
    return fail(ErrorCode::unknown_certificate,
                "the certificate is no enrolled device's current certificate (revoked, renewed or unknown)");
  if (device->certificate_serial != presented.serial || !device->previous_certificate_serial) return *device;
  // The first connection with a renewed certificate: the agent has stored it, the one it was
  // renewed from ends here.
  Transaction tx(*services.db);
  if (services.devices.confirm_certificate(device->id)) {
    AuditRecord record = device_record(AuditCode::kDeviceCertRenewalConfirmed, ip);
    record.org_id = device->org_id;
    record.details = {{"device", device->name},
                      {"uuid", presented.uuid},
                      {"serial", presented.serial},
                      {"serial_before", *device->previous_certificate_serial}};
    services.audit.append(record);
  }
  tx.commit();
  device->previous_certificate_serial.reset();
  return *device;
}

std::int64_t renewal_window_ms(std::int64_t lifetime_seconds) {
  return std::clamp<std::int64_t>(lifetime_seconds * 100, 1, 3'600'000);
}

Result<Renewed> renew(Services& services, const Device& device, const PresentedCertificate& presented,
                      std::string_view csr_pem, const std::string& ip) {
  if (!services.device_ca) return fail(ErrorCode::not_ready, "the device CA is not loaded");
  const std::int64_t lifetime_s = services.config.device_certificate_lifetime();
  const std::int64_t now = services.clock.now_ms();
  Transaction tx(*services.db);
  // The connection was authenticated when it began; the device may have been revoked, or the
  // certificate retired by a confirmed renewal, since. Checked under the same lock as the change.
  if (!services.devices.find_by_certificate(presented.org_id, presented.uuid, presented.serial))
    return fail(ErrorCode::unknown_certificate,
                "this connection's certificate is no longer accepted (the device was revoked or renewed)");
  if (presented.not_after_ms != 0 && presented.not_after_ms <= now)
    return fail(ErrorCode::certificate_expired, "this connection's certificate has expired");
  const std::int64_t window_ms = renewal_window_ms(lifetime_s);
  if (services.devices.certificates_issued_since(device.id, now - window_ms) >= kMaximumRecentCertificates)
    return fail(ErrorCode::renewal_too_soon, "the device had " + std::to_string(kMaximumRecentCertificates) +
                                                 " certificates issued within " + std::to_string(window_ms / 1000) +
                                                 " s; ask again later");
  auto issued = services.device_ca->issue(csr_pem, presented.uuid, device.org_id, lifetime_s);
  if (!issued) return issued.error();
  services.devices.replace_certificate(device.id, presented.serial, issued->serial, issued->not_after_ms);
  AuditRecord record = device_record(AuditCode::kDeviceCertRenewed, ip);
  record.org_id = device.org_id;
  record.details = {{"device", device.name},
                    {"uuid", presented.uuid},
                    {"serial_before", presented.serial},
                    {"serial", issued->serial}};
  services.audit.append(record);
  tx.commit();
  return Renewed{std::move(*issued), services.device_ca->certificate_pem()};
}

}  // namespace logbot::cloud::devices
