// Devices of an organisation and their on-boarding: registration with a one-time enrolment
// token (which carries the cloud's URL and certificate fingerprint), the agent's enrolment
// (CSR in, client certificate out) and revocation. All of it is audited.
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "cloud/api/handlers.hpp"
#include "cloud/api/json_body.hpp"
#include "cloud/auth/qr_svg.hpp"
#include "cloud/db/database.hpp"
#include "cloud/devices/device_lifecycle.hpp"
#include "cloud/services.hpp"
#include "common/enrolment/enrolment_token.hpp"
#include "common/time_format.hpp"

namespace logbot::cloud::api {
namespace {

boost::json::value optional_json(const std::optional<std::string>& value) {
  if (value) return boost::json::string(*value);
  return nullptr;
}

boost::json::value optional_time(const std::optional<std::int64_t>& ms) {
  if (ms) return boost::json::string(format_iso8601_ms(*ms));
  return nullptr;
}

boost::json::object device_json(const Device& d, bool online) {
  return {{"online", online},
          {"last_seen_at", optional_time(d.last_seen_ms)},
          {"agent_version", optional_json(d.agent_version)},
          {"source_ip", optional_json(d.last_ip)},
          {"id", d.id},
          {"name", d.name},
          {"site", d.site},
          {"state", to_string(d.state)},
          {"expected_uuid", optional_json(d.expected_uuid)},
          {"device_uuid", optional_json(d.device_uuid)},
          {"certificate_serial", optional_json(d.certificate_serial)},
          {"certificate_expires_at", optional_time(d.certificate_not_after_ms)},
          {"enrolled_at", optional_time(d.enrolled_ms)},
          {"enrolled_ip", optional_json(d.enrolled_ip)},
          {"created_at", format_iso8601_ms(d.created_ms)},
          {"revoked_at", optional_time(d.revoked_ms)}};
}

// A new one-time token for the device, shown once (also as a QR code), and audited.
http::Response token_response(RequestContext& context, const Device& device, unsigned status) {
  Services& services = context.services;
  const Services::Identity identity = services.identity();
  const std::string secret = services.devices.issue_token(device.id, services.config.enrolment_token_ttl_ms);
  const std::string token = enrolment::encode_enrolment_token({identity.url, identity.certificate_fingerprint, secret});
  AuditRecord record = audit_record(context, AuditCode::kEnrolmentTokenIssued);
  record.org_id = device.org_id;
  record.details = {{"device", device.name},
                    {"device_id", device.id},
                    {"expires_in_s", std::to_string(services.config.enrolment_token_ttl_ms / 1000)}};
  services.audit.append(record);
  boost::json::object o{
      {"device", device_json(device, false)},
      {"enrolment_token", token},
      {"token_expires_at", format_iso8601_ms(services.clock.now_ms() + services.config.enrolment_token_ttl_ms)},
      {"enrolment_token_qr_svg", qr_code_svg(token).value_or("")}};
  return http::json_response(status, boost::json::serialize(o));
}

}  // namespace

http::Response list_devices(RequestContext& context) {
  Services& services = context.services;
  boost::json::array devices;
  for (const Device& d : services.devices.list(context.membership->org_id))
    devices.push_back(device_json(d, services.device_connections.is_online(d.id)));
  return http::json_response(200, boost::json::serialize(boost::json::object{{"devices", std::move(devices)}}));
}

http::Response get_device(RequestContext& context) {
  const auto device = context.services.devices.find(context.membership->org_id, context.param("device_id"));
  if (!device) return http::error_response(404, "not_found", "no such device");
  return http::json_response(
      200, boost::json::serialize(device_json(*device, context.services.device_connections.is_online(device->id))));
}

http::Response register_device(RequestContext& context) {
  Services& services = context.services;
  auto body = JsonBody::parse(context.request.body);
  if (!body) return bad_request(body.error());
  auto name = body->required_string("name", 100);
  if (!name) return bad_request(name.error());
  auto site_field = body->optional_string("site", 200);
  if (!site_field) return bad_request(site_field.error());
  auto expected_field = body->optional_string("expected_uuid", 64);
  if (!expected_field) return bad_request(expected_field.error());
  const std::optional<std::string>& site = *site_field;
  const std::optional<std::string>& expected = *expected_field;
  if (name->empty()) return http::error_response(400, "bad_request", "the device needs a name");
  std::optional<std::string> expected_uuid;
  if (expected && !expected->empty()) {
    expected_uuid = normalize_uuid(*expected);
    if (!expected_uuid) return http::error_response(400, "bad_request", "expected_uuid must be a UUID such as 3f2c…-…");
  }
  if (services.identity().url.empty())
    return http::error_response(503, "not_ready", "the server does not know its public address yet");

  Transaction tx(*services.db);
  Device device;
  try {
    device = services.devices.register_device(context.membership->org_id, *name, site.value_or(""), expected_uuid);
  } catch (const DatabaseError& db_error) {
    if (!db_error.is_constraint()) throw;
    return http::error_response(409, "conflict", "a device named '" + *name + "' exists already");
  }
  AuditRecord record = audit_record(context, AuditCode::kDeviceRegistered);
  record.org_id = device.org_id;
  record.details = {{"device", device.name},
                    {"device_id", device.id},
                    {"site", device.site},
                    {"expected_uuid", expected_uuid.value_or("")}};
  services.audit.append(record);
  http::Response response = token_response(context, device, 201);
  tx.commit();
  return response;
}

http::Response new_enrolment_token(RequestContext& context) {
  const auto device = context.services.devices.find(context.membership->org_id, context.param("device_id"));
  if (!device) return http::error_response(404, "not_found", "no such device");
  if (device->state == DeviceState::kRevoked)
    return http::error_response(409, "device_revoked", "a revoked device cannot enrol again: register a new one");
  Transaction tx(*context.services.db);
  http::Response response = token_response(context, *device, 200);
  tx.commit();
  return response;
}

http::Response revoke_device(RequestContext& context) {
  Services& services = context.services;
  auto device = services.devices.find(context.membership->org_id, context.param("device_id"));
  if (!device) return http::error_response(404, "not_found", "no such device");
  if (device->state != DeviceState::kRevoked) {
    Transaction tx(*services.db);
    services.devices.revoke(device->id);
    AuditRecord record = audit_record(context, AuditCode::kDeviceRevoked);
    record.org_id = device->org_id;
    record.details = {{"device", device->name},
                      {"device_id", device->id},
                      {"uuid", device->device_uuid.value_or("")},
                      {"serial", device->certificate_serial.value_or("")}};
    services.audit.append(record);
    tx.commit();
    // Open connections end now; later handshakes find no current certificate.
    services.device_connections.disconnect(device->id);
    device = services.devices.find(context.membership->org_id, device->id);
  }
  return http::json_response(
      200, boost::json::serialize(device_json(*device, context.services.device_connections.is_online(device->id))));
}

http::Response enroll(RequestContext& context) {
  Services& services = context.services;
  if (!services.device_ca) return http::error_response(503, "not_ready", "the device CA is not loaded");
  auto refused = [](const devices::Error& error) {
    static constexpr std::pair<devices::ErrorCode, unsigned> kStatus[] = {
        {devices::ErrorCode::invalid_token, 401}, {devices::ErrorCode::token_used, 401},
        {devices::ErrorCode::token_expired, 401}, {devices::ErrorCode::device_revoked, 403},
        {devices::ErrorCode::uuid_mismatch, 403}, {devices::ErrorCode::uuid_in_use, 409},
        {devices::ErrorCode::not_ready, 503},
    };
    unsigned status = 400;  // bad_request, bad_csr
    for (const auto& [code, known] : kStatus)
      if (code == error.code) status = known;
    return http::error_response(status, std::string(devices::code_text(error.code)), error.message);
  };
  // A body that cannot be read is refused and audited like every other refusal.
  auto unreadable = [&](const Error& error) {
    return refused(devices::refuse_enrolment(services, context.request.peer_ip,
                                             fail(devices::ErrorCode::bad_request, error.message)));
  };
  auto body = JsonBody::parse(context.request.body);
  if (!body) return unreadable(body.error());
  auto secret = body->required_string("token_secret", 128);
  if (!secret) return unreadable(secret.error());
  auto uuid_text = body->required_string("uuid", 64);
  if (!uuid_text) return unreadable(uuid_text.error());
  auto csr = body->required_string("csr", 16 * 1024);
  if (!csr) return unreadable(csr.error());
  auto enrolled = devices::enrol(services, {*secret, *uuid_text, *csr, context.request.peer_ip});
  if (!enrolled) return refused(enrolled.error());
  boost::json::object o{{"device_id", enrolled->device.id},
                        {"org_id", enrolled->device.org_id},
                        {"certificate", enrolled->certificate.certificate_pem},
                        {"ca_chain", enrolled->ca_chain_pem},
                        {"uplink_urls", boost::json::array{boost::json::string(services.identity().uplink_url)}},
                        {"expires_at", format_iso8601_ms(enrolled->certificate.not_after_ms)}};
  return http::json_response(200, boost::json::serialize(o));
}

}  // namespace logbot::cloud::api
