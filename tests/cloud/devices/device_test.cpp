#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cloud/config/cloud_config.hpp"
#include "cloud/devices/device_ca.hpp"
#include "cloud/devices/device_connections.hpp"
#include "cloud/devices/device_store.hpp"
#include "common/enrolment/enrolment_token.hpp"
#include "common/tls/x509_util.hpp"
#include "tests/support/device_csr.hpp"
#include "tests/support/test_services.hpp"

namespace logbot::cloud {
namespace {

const std::string kUuid = "3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b";

using testing::make_csr;

struct DeviceCaTest : ::testing::Test {
  testing::TestWorld world;
  DeviceCa& ca() { return *ca_; }
  void SetUp() override { ca_ = DeviceCa::load_or_create(*world.services->db, testing::kSecretsKey, world.clock); }
  std::unique_ptr<DeviceCa> ca_;
};

TEST_F(DeviceCaTest, IssuesAClientCertificateNamingTheDevice) {
  auto key = tls::generate_p256_key();
  const auto issued = ca().issue(make_csr(kUuid, key.get()), kUuid, "org-1", 365LL * 24 * 3600);
  ASSERT_TRUE(issued);
  const IssuedCertificate& certificate = *issued;
  auto cert = tls::certificate_from_pem(certificate.certificate_pem);
  auto ca_cert = tls::certificate_from_pem(ca().certificate_pem());
  ASSERT_TRUE(cert && ca_cert);
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(ca_cert.get())), 1);
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn);
  EXPECT_EQ(std::string(cn), kUuid);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key.get()), 1);  // the agent's own key
  EXPECT_TRUE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_CLIENT);
  EXPECT_EQ(certificate.serial.size(), 32u);
  EXPECT_EQ(certificate.not_after_ms, world.clock.now_ms() + 365LL * 24 * 3600 * 1000);
}

TEST_F(DeviceCaTest, RefusesForeignOrBrokenRequests) {
  auto key = tls::generate_p256_key();
  EXPECT_EQ(ca().issue("not a csr", kUuid, "o", 365).error().code, devices::ErrorCode::bad_csr);
  const auto other = ca().issue(make_csr("another-device", key.get()), kUuid, "o", 365);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, devices::ErrorCode::uuid_mismatch);
  // A P-384 key is not what agents make.
  tls::KeyPtr p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  EXPECT_EQ(ca().issue(make_csr(kUuid, p384.get()), kUuid, "o", 365).error().code, devices::ErrorCode::bad_csr);
  // A CSR whose body was altered after signing.
  std::string csr = make_csr(kUuid, key.get());
  csr[csr.size() / 2] = csr[csr.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(ca().issue(csr, kUuid, "o", 365).error().code, devices::ErrorCode::bad_csr);
}

TEST_F(DeviceCaTest, KeyIsSealedAndTheSameCaComesBack) {
  std::string sealed;
  world.services->db->query("SELECT key_sealed FROM device_ca", {}, [&](const Row& row) { sealed = row.text(0); });
  EXPECT_TRUE(sealed.starts_with("v1."));
  EXPECT_EQ(sealed.find("PRIVATE KEY"), std::string::npos);
  auto again = DeviceCa::load_or_create(*world.services->db, testing::kSecretsKey, world.clock);
  EXPECT_EQ(again->certificate_pem(), ca().certificate_pem());
  EXPECT_THROW(DeviceCa::load_or_create(*world.services->db, std::string(32, 'x'), world.clock), DatabaseError);
}

TEST(DeviceStore, TokensAreOneTimeAndExpire) {
  testing::TestWorld world;
  auto org = world.make_org("Acme", "alice@example.com");
  DeviceStore& store = world.services->devices;
  const Device device = store.register_device(org.org_id, "press-1", "Hall 2", std::nullopt);
  const std::string first = store.issue_token(device.id, 60'000);
  const std::string second = store.issue_token(device.id, 60'000);
  EXPECT_EQ(store.look_up_token(first).status, TokenStatus::kUnknown);  // replaced
  EXPECT_EQ(store.look_up_token(second).status, TokenStatus::kValid);
  store.complete_enrolment(second, device.id, kUuid, "ab", 1, "127.0.0.1");
  EXPECT_EQ(store.look_up_token(second).status, TokenStatus::kUsed);
  EXPECT_THROW(store.complete_enrolment(second, device.id, kUuid, "cd", 1, "127.0.0.1"), DatabaseError);
  const std::string third = store.issue_token(device.id, 60'000);
  world.clock.advance_ms(60'000);
  EXPECT_EQ(store.look_up_token(third).status, TokenStatus::kExpired);
  EXPECT_EQ(world.services->db->query_integer("SELECT COUNT(*) FROM enrolment_tokens WHERE token_hash = ?", {third}),
            0);  // only hashes are stored
}

// A UUID is an identity within one organisation: another tenant enrolling the same UUID
// neither blocks nor touches it, and a certificate still maps to exactly one device.
TEST(DeviceStore, TheSameUuidInTwoOrganisationsIsTwoDevices) {
  testing::TestWorld world;
  auto acme = world.make_org("Acme", "alice@example.com");
  auto globex = world.make_org("Globex", "bob@example.com");
  DeviceStore& store = world.services->devices;
  const Device in_acme = store.register_device(acme.org_id, "press-1", "", std::nullopt);
  const Device in_globex = store.register_device(globex.org_id, "press-1", "", std::nullopt);
  store.complete_enrolment(store.issue_token(in_globex.id, 60'000), in_globex.id, kUuid, "b1", 1, "127.0.0.1");
  store.complete_enrolment(store.issue_token(in_acme.id, 60'000), in_acme.id, kUuid, "a1", 1, "127.0.0.1");
  EXPECT_EQ(store.find_by_uuid(acme.org_id, kUuid)->id, in_acme.id);
  EXPECT_EQ(store.find_by_uuid(globex.org_id, kUuid)->id, in_globex.id);
  EXPECT_EQ(store.find_by_certificate(acme.org_id, kUuid, "a1")->id, in_acme.id);
  EXPECT_EQ(store.find_by_certificate(globex.org_id, kUuid, "b1")->id, in_globex.id);
  // A certificate of one organisation never stands for the other's device.
  EXPECT_FALSE(store.find_by_certificate(globex.org_id, kUuid, "a1"));
  EXPECT_FALSE(store.find_by_certificate(acme.org_id, kUuid, "b1"));
  // Within one organisation the UUID stays unique.
  const Device second = store.register_device(acme.org_id, "press-2", "", std::nullopt);
  EXPECT_THROW(store.complete_enrolment(store.issue_token(second.id, 60'000), second.id, kUuid, "a2", 1, "127.0.0.1"),
               DatabaseError);
  // Revocation in one organisation leaves the other's device enrolled.
  store.revoke(in_acme.id);
  EXPECT_FALSE(store.find_by_certificate(acme.org_id, kUuid, "a1"));
  EXPECT_EQ(store.find_by_certificate(globex.org_id, kUuid, "b1")->id, in_globex.id);
}

TEST(DeviceUuid, CanonicalFormOnly) {
  EXPECT_EQ(normalize_uuid("3F2B8C1E-5D4A-4E6F-9A7B-0C1D2E3F4A5B"), kUuid);
  for (const char* bad : {"", "3f2b8c1e5d4a4e6f9a7b0c1d2e3f4a5b", "3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5g",
                          "3f2b8c1e-5d4a-4e6f-9a7b_0c1d2e3f4a5b"})
    EXPECT_FALSE(normalize_uuid(bad)) << bad;
}

TEST(EnrolmentToken, RoundTripsAndExplainsDamage) {
  const enrolment::EnrolmentToken token{"https://cloud.example:8443", std::string(64, 'a'),
                                        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
  const std::string text = enrolment::encode_enrolment_token(token);
  EXPECT_TRUE(text.starts_with("lbt1."));
  const auto decoded = enrolment::decode_enrolment_token(text + "\n");
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->url, token.url);
  EXPECT_EQ(decoded->fingerprint, token.fingerprint);
  EXPECT_EQ(decoded->secret, token.secret);
  const auto other = enrolment::decode_enrolment_token("lbt2.abc");
  EXPECT_EQ(other.error().code, enrolment::ErrorCode::not_a_token);
  EXPECT_NE(other.error().message.find("lbt1."), std::string::npos);
  const auto cut = enrolment::decode_enrolment_token(text.substr(0, text.size() - 6));
  EXPECT_EQ(cut.error().code, enrolment::ErrorCode::damaged);
  EXPECT_FALSE(cut.error().message.empty());
  EXPECT_EQ(enrolment::decode_enrolment_token(std::string(5000, 'a')).error().code, enrolment::ErrorCode::too_long);
  auto weak = token;
  weak.secret = "AAAA";
  EXPECT_EQ(enrolment::decode_enrolment_token(enrolment::encode_enrolment_token(weak)).error().code,
            enrolment::ErrorCode::bad_field);
  auto plain = token;
  plain.url = "http://cloud.example";
  EXPECT_EQ(enrolment::decode_enrolment_token(enrolment::encode_enrolment_token(plain)).error().code,
            enrolment::ErrorCode::bad_field);
}

}  // namespace
}  // namespace logbot::cloud

namespace logbot::cloud {
namespace {

// A session as the registry sees it: records what it was asked to do.
struct RecordingLink : DeviceLink {
  std::vector<protocol::RefusalReason> closed;
  std::vector<std::string> sent;
  void close(protocol::RefusalReason reason) override { closed.push_back(reason); }
  void send(::logbot::uplink::Envelope envelope, SendDone done) override {
    sent.push_back(envelope.refusal().message());
    if (done) done({});
  }
  bool online() const override { return greeted; }
  bool greeted = true;
};

TEST(DeviceConnections, AGreetedSessionSupersedesAndDisconnectCloses) {
  DeviceConnections connections;
  auto first_link = std::make_shared<RecordingLink>();
  auto second_link = std::make_shared<RecordingLink>();
  const auto first = connections.add("d1", first_link);
  EXPECT_FALSE(connections.is_online("d1"));  // registered, not greeted
  connections.greet("d1", first);
  EXPECT_TRUE(connections.is_online("d1"));
  const auto second = connections.add("d1", second_link);
  EXPECT_TRUE(first_link->closed.empty());  // a registration alone supersedes nothing
  connections.greet("d1", second);
  EXPECT_EQ(first_link->closed, std::vector<protocol::RefusalReason>{::logbot::uplink::Refusal::SUPERSEDED});
  connections.remove("d1", first);  // the old session ending must not forget the new one
  EXPECT_TRUE(connections.is_online("d1"));
  EXPECT_TRUE(connections.disconnect("d1"));
  EXPECT_EQ(second_link->closed, std::vector<protocol::RefusalReason>{::logbot::uplink::Refusal::REVOKED});
  EXPECT_FALSE(connections.is_online("d1"));
  EXPECT_FALSE(connections.disconnect("d1"));
  connections.remove("d1", second);
  EXPECT_FALSE(connections.is_online("d1"));
}

// A connection on a revoked or retired certificate completes its upgrade before the Hello check:
// it must not knock the device's live session off, yet a revocation reaches it.
TEST(DeviceConnections, AnUngreetedSessionSupersedesNothingButIsRevocable) {
  DeviceConnections connections;
  auto live = std::make_shared<RecordingLink>();
  connections.greet("d1", connections.add("d1", live));
  auto waiting = std::make_shared<RecordingLink>();
  waiting->greeted = false;
  const auto handle = connections.add("d1", waiting);
  EXPECT_TRUE(live->closed.empty());
  EXPECT_TRUE(connections.is_online("d1"));
  EXPECT_EQ(connections.send("d1", protocol::make_refusal(::logbot::uplink::Refusal::BAD_CSR, "to the live one")),
            SendOutcome::kHandedOver);
  EXPECT_EQ(live->sent, std::vector<std::string>{"to the live one"});
  EXPECT_TRUE(waiting->sent.empty());
  EXPECT_TRUE(connections.disconnect("d1"));
  EXPECT_EQ(live->closed, std::vector<protocol::RefusalReason>{::logbot::uplink::Refusal::REVOKED});
  EXPECT_EQ(waiting->closed, std::vector<protocol::RefusalReason>{::logbot::uplink::Refusal::REVOKED});
  connections.greet("d1", handle);  // it was disconnected: greeting it now makes nothing current
  EXPECT_FALSE(connections.is_online("d1"));
}

TEST(DeviceConnections, SendReachesTheCurrentSessionOnly) {
  DeviceConnections connections;
  auto old_link = std::make_shared<RecordingLink>();
  auto link = std::make_shared<RecordingLink>();
  connections.greet("d1", connections.add("d1", old_link));
  connections.greet("d1", connections.add("d1", link));
  bool done = false;
  EXPECT_EQ(connections.send("d1", protocol::make_refusal(::logbot::uplink::Refusal::BAD_CSR, "to d1"),
                             [&](const protocol::Result<void>& outcome) { done = outcome.has_value(); }),
            SendOutcome::kHandedOver);
  EXPECT_TRUE(done);
  EXPECT_EQ(link->sent, std::vector<std::string>{"to d1"});
  EXPECT_TRUE(old_link->sent.empty());
  EXPECT_EQ(connections.send("d2", protocol::make_refusal(::logbot::uplink::Refusal::BAD_CSR, "nobody")),
            SendOutcome::kOffline);
  // A session that ended without remove() (its last reference gone) is offline, not reached.
  link.reset();
  EXPECT_FALSE(connections.is_online("d1"));
  EXPECT_EQ(connections.send("d1", protocol::make_refusal(::logbot::uplink::Refusal::BAD_CSR, "late")),
            SendOutcome::kOffline);
}

TEST(DeviceListenAddress, DefaultsToTheNextPortOfTheListenAddress) {
  CloudConfig config;
  config.listen = "0.0.0.0:8443";
  EXPECT_EQ(config.effective_device_listen(), "0.0.0.0:8444");
  config.listen = "127.0.0.1:0";
  EXPECT_EQ(config.effective_device_listen(), "127.0.0.1:0");
  config.listen = "[::]:443";
  EXPECT_EQ(config.effective_device_listen(), "[::]:444");
  config.device_listen = "10.0.0.1:9000";
  EXPECT_EQ(config.effective_device_listen(), "10.0.0.1:9000");
}

}  // namespace
}  // namespace logbot::cloud
