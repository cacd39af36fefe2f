// The device lifecycle's decisions without any transport: enrolment with its refusals and
// audit entries, the certificate a connection presents, and acknowledged renewal.
#include "cloud/devices/device_lifecycle.hpp"

#include <gtest/gtest.h>

#include "cloud/admin/admin_commands.hpp"
#include "cloud/services.hpp"
#include "common/tls/x509_util.hpp"
#include "tests/support/device_csr.hpp"
#include "tests/support/test_services.hpp"

namespace logbot::cloud::devices {
namespace {

const std::string kUuid = "7d0c2a9e-41b5-4c3f-8e2d-5a6b7c8d9e0f";

std::string csr_for(const std::string& common_name) {
  return testing::make_csr(common_name);
}

struct DeviceLifecycleTest : ::testing::Test {
  testing::TestWorld world;
  Services& services = *world.services;
  ProvisionedOrg org = world.make_org("Acme", "alice@example.com");

  Device registered(const std::string& name) {
    return services.devices.register_device(org.org_id, name, "", std::nullopt);
  }
  std::vector<AuditEntry> entries(const std::string& event) {
    AuditQuery query;
    query.event = event;
    return services.audit.query(query);
  }
  PresentedCertificate presented(const std::string& serial) const { return {org.org_id, kUuid, serial}; }
  // An enrolled device and its first certificate's serial.
  std::pair<Device, std::string> enrolled() {
    const Device device = registered("press-1");
    auto done = enrol(services, {services.devices.issue_token(device.id, 60'000), kUuid, csr_for(kUuid), "192.0.2.7"});
    if (!done) throw std::runtime_error(done.error().message);
    return {done->device, done->certificate.serial};
  }
};

TEST_F(DeviceLifecycleTest, EnrolmentSignsRecordsAndAudits) {
  const Device device = registered("press-1");
  const std::string secret = services.devices.issue_token(device.id, 60'000);
  auto done = enrol(services, {secret, "7D0C2A9E-41B5-4C3F-8E2D-5A6B7C8D9E0F", csr_for(kUuid), "192.0.2.7"});
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->device.id, device.id);
  EXPECT_EQ(done->ca_chain_pem, services.device_ca->certificate_pem());
  auto certificate = tls::certificate_from_pem(done->certificate.certificate_pem);
  ASSERT_TRUE(certificate);
  EXPECT_EQ(tls::serial_hex(certificate.get()), done->certificate.serial);
  const auto stored = services.devices.find(org.org_id, device.id);
  EXPECT_EQ(stored->state, DeviceState::kEnrolled);
  EXPECT_EQ(stored->device_uuid, kUuid);  // normalised
  EXPECT_EQ(stored->certificate_serial, done->certificate.serial);
  const auto audited = entries("DEVICE_ENROLLED");
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(audited[0].org_id, org.org_id);
  EXPECT_EQ(audited[0].actor_type, "device");
  EXPECT_NE(audited[0].details.find("serial=" + done->certificate.serial), std::string::npos);
  // The token is used up.
  auto again = enrol(services, {secret, kUuid, csr_for(kUuid), "192.0.2.7"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::token_used);
  EXPECT_EQ(code_text(again.error().code), "invalid_token");
}

TEST_F(DeviceLifecycleTest, EveryRefusalIsAnEnrolErrorWithItsReason) {
  const Device device = registered("press-1");
  struct Case {
    EnrolRequest request;  // an empty secret: a fresh token (a new one ends the earlier ones)
    ErrorCode code;
  };
  const std::vector<Case> cases = {
      {{"no-such-token", kUuid, csr_for(kUuid), "192.0.2.7"}, ErrorCode::invalid_token},
      {{"", "not-a-uuid", csr_for(kUuid), "192.0.2.7"}, ErrorCode::bad_request},
      {{"", kUuid, "not a csr", "192.0.2.7"}, ErrorCode::bad_csr},
      {{"", kUuid, csr_for("3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b"), "192.0.2.7"}, ErrorCode::uuid_mismatch},
  };
  for (Case c : cases) {
    if (c.request.token_secret.empty()) c.request.token_secret = services.devices.issue_token(device.id, 60'000);
    auto refused = enrol(services, c.request);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, c.code) << refused.error().message;
    EXPECT_FALSE(refused.error().message.empty());
  }
  const auto audited = entries("ENROLL_ERROR");
  ASSERT_EQ(audited.size(), cases.size());
  // Newest first; each names its reason, and the ones with a known token name the organisation.
  EXPECT_NE(audited[0].details.find("reason=uuid_mismatch"), std::string::npos) << audited[0].details;
  EXPECT_EQ(audited[0].org_id, org.org_id);
  EXPECT_NE(audited[1].details.find("reason=bad_csr"), std::string::npos);
  EXPECT_NE(audited[2].details.find("reason=bad_request"), std::string::npos);
  EXPECT_NE(audited[3].details.find("reason=invalid_token"), std::string::npos);
  EXPECT_FALSE(audited[3].org_id);
  EXPECT_EQ(services.devices.find(org.org_id, device.id)->state, DeviceState::kRegistered);

  // Expired, revoked.
  const std::string late = services.devices.issue_token(device.id, 1'000);
  world.clock.advance_ms(2'000);
  EXPECT_EQ(enrol(services, {late, kUuid, csr_for(kUuid), "192.0.2.7"}).error().code, ErrorCode::token_expired);
  const std::string before_revocation = services.devices.issue_token(device.id, 60'000);
  services.devices.revoke(device.id);
  EXPECT_EQ(enrol(services, {before_revocation, kUuid, csr_for(kUuid), "192.0.2.7"}).error().code,
            ErrorCode::device_revoked);
}

TEST_F(DeviceLifecycleTest, AUuidOfAnotherDeviceOfTheOrganisationIsInUse) {
  enrolled();
  const Device second = registered("press-2");
  auto refused = enrol(services, {services.devices.issue_token(second.id, 60'000), kUuid, csr_for(kUuid), "192.0.2.8"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::uuid_in_use);
  EXPECT_NE(refused.error().message.find("press-1"), std::string::npos);
}

TEST_F(DeviceLifecycleTest, OnlyTheCurrentCertificateOfAnEnrolledDeviceAuthenticates) {
  auto [device, serial] = enrolled();
  auto found = authenticate(services, presented(serial), "192.0.2.7");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, device.id);
  EXPECT_EQ(authenticate(services, presented("00" + serial.substr(2)), "192.0.2.7").error().code,
            ErrorCode::unknown_certificate);
  EXPECT_FALSE(authenticate(services, {org.org_id, "3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b", serial}, "192.0.2.7"));
  EXPECT_FALSE(authenticate(services, {"another-org", kUuid, serial}, "192.0.2.7"));
  services.devices.revoke(device.id);
  EXPECT_FALSE(authenticate(services, presented(serial), "192.0.2.7"));
}

// The answer to a renewal may never reach the agent: until the renewed certificate is used, the
// one it was renewed from still works; the first use of the new one ends the old one.
TEST_F(DeviceLifecycleTest, RenewalIsConfirmedByTheFirstUseOfTheNewCertificate) {
  auto [device, first] = enrolled();
  auto renewed = renew(services, device, presented(first), csr_for(kUuid), "192.0.2.7");
  ASSERT_TRUE(renewed) << renewed.error().message;
  const std::string second = renewed->certificate.serial;
  EXPECT_NE(second, first);
  EXPECT_EQ(entries("DEVICE_CERT_RENEWED").size(), 1u);

  // The answer was lost: the agent comes back with its first certificate, and is let in.
  ASSERT_TRUE(authenticate(services, presented(first), "192.0.2.7"));
  EXPECT_TRUE(authenticate(services, presented(first), "192.0.2.7"));
  EXPECT_TRUE(entries("DEVICE_CERT_RENEWAL_CONFIRMED").empty());

  // The agent stored it after all: the new certificate confirms the renewal, once.
  ASSERT_TRUE(authenticate(services, presented(second), "192.0.2.7"));
  ASSERT_TRUE(authenticate(services, presented(second), "192.0.2.7"));
  const auto confirmed = entries("DEVICE_CERT_RENEWAL_CONFIRMED");
  ASSERT_EQ(confirmed.size(), 1u);
  EXPECT_NE(confirmed[0].details.find("serial=" + second), std::string::npos) << confirmed[0].details;
  EXPECT_NE(confirmed[0].details.find("serial_before=" + first), std::string::npos);
  EXPECT_EQ(authenticate(services, presented(first), "192.0.2.7").error().code, ErrorCode::unknown_certificate);
  EXPECT_EQ(world.services->db->query_integer(
                "SELECT COUNT(*) FROM device_certificates WHERE device_id = ? AND revoked_ms IS NULL", {device.id}),
            1);
}

// Renewing again from the older certificate (the first answer lost) replaces the never-used
// renewal: at most the certificate in use and the newest one are valid.
TEST_F(DeviceLifecycleTest, ARenewalFromTheOlderCertificateReplacesTheUnusedOne) {
  auto [device, first] = enrolled();
  const std::string lost = renew(services, device, presented(first), csr_for(kUuid), "192.0.2.7")->certificate.serial;
  auto again = renew(services, device, presented(first), csr_for(kUuid), "192.0.2.7");
  ASSERT_TRUE(again);
  EXPECT_FALSE(authenticate(services, presented(lost), "192.0.2.7"));
  EXPECT_TRUE(authenticate(services, presented(first), "192.0.2.7"));
  EXPECT_TRUE(authenticate(services, presented(again->certificate.serial), "192.0.2.7"));
  EXPECT_FALSE(authenticate(services, presented(first), "192.0.2.7"));
}

TEST_F(DeviceLifecycleTest, ARefusedRenewalChangesNothing) {
  auto [device, first] = enrolled();
  EXPECT_EQ(renew(services, device, presented(first), "not a csr", "192.0.2.7").error().code, ErrorCode::bad_csr);
  EXPECT_EQ(renew(services, device, presented(first), csr_for("another"), "192.0.2.7").error().code,
            ErrorCode::uuid_mismatch);
  EXPECT_TRUE(entries("DEVICE_CERT_RENEWED").empty());
  const auto stored = services.devices.find(org.org_id, device.id);
  EXPECT_EQ(stored->certificate_serial, first);
  EXPECT_FALSE(stored->previous_certificate_serial);
}

// A session outlives the check of its certificate at the handshake: a renewal on it is checked
// again, so a revoked device, or a session still on a certificate a confirmed renewal retired,
// gets nothing new (and no retired certificate comes back to life).
TEST_F(DeviceLifecycleTest, ARenewalOnAConnectionWhoseCertificateEndedIsRefused) {
  auto [device, first] = enrolled();
  const std::string second = renew(services, device, presented(first), csr_for(kUuid), "192.0.2.7")->certificate.serial;
  ASSERT_TRUE(authenticate(services, presented(second), "192.0.2.7"));  // confirmed: `first` retired
  auto on_retired = renew(services, device, presented(first), csr_for(kUuid), "192.0.2.7");
  ASSERT_FALSE(on_retired);
  EXPECT_EQ(on_retired.error().code, ErrorCode::unknown_certificate);
  EXPECT_FALSE(authenticate(services, presented(first), "192.0.2.7"));
  EXPECT_EQ(services.devices.find(org.org_id, device.id)->certificate_serial, second);

  PresentedCertificate expired = presented(second);
  expired.not_after_ms = world.clock.now_ms() - 1;
  EXPECT_EQ(renew(services, device, expired, csr_for(kUuid), "192.0.2.7").error().code, ErrorCode::certificate_expired);

  services.devices.revoke(device.id);
  EXPECT_EQ(renew(services, device, presented(second), csr_for(kUuid), "192.0.2.7").error().code,
            ErrorCode::unknown_certificate);
  EXPECT_EQ(entries("DEVICE_CERT_RENEWED").size(), 1u);
}

// A device cannot flood the CA and its organisation's audit log: three certificates within a
// tenth of the lifetime (at most an hour), the enrolment's included; then it waits.
TEST_F(DeviceLifecycleTest, RenewalsAreBoundedInTime) {
  auto [device, serial] = enrolled();
  for (int i = 0; i < kMaximumRecentCertificates - 1; ++i) {
    auto renewed = renew(services, device, presented(serial), csr_for(kUuid), "192.0.2.7");
    ASSERT_TRUE(renewed) << i << ": " << renewed.error().message;
    serial = renewed->certificate.serial;
  }
  auto refused = renew(services, device, presented(serial), csr_for(kUuid), "192.0.2.7");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::renewal_too_soon);
  EXPECT_EQ(services.devices.find(org.org_id, device.id)->certificate_serial, serial);  // nothing changed
  const std::int64_t window = renewal_window_ms(services.config.device_certificate_lifetime());
  EXPECT_EQ(window, 3'600'000);  // a year's certificates: an hour
  EXPECT_EQ(renewal_window_ms(6), 600);
  world.clock.advance_ms(window + 1);
  EXPECT_TRUE(renew(services, device, presented(serial), csr_for(kUuid), "192.0.2.7"));
}

TEST_F(DeviceLifecycleTest, RevocationEndsBothCertificatesOfAnUnconfirmedRenewal) {
  auto [device, first] = enrolled();
  const std::string second = renew(services, device, presented(first), csr_for(kUuid), "192.0.2.7")->certificate.serial;
  services.devices.revoke(device.id);
  EXPECT_FALSE(authenticate(services, presented(first), "192.0.2.7"));
  EXPECT_FALSE(authenticate(services, presented(second), "192.0.2.7"));
}

}  // namespace
}  // namespace logbot::cloud::devices
