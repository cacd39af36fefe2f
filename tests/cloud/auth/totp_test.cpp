#include "cloud/auth/totp.hpp"

#include <gtest/gtest.h>
#include <liboath/oath.h>

#include <set>

#include "cloud/auth/qr_svg.hpp"
#include "cloud/auth/recovery_codes.hpp"
#include "cloud/secrets/secret_box.hpp"
#include "tests/support/test_services.hpp"

namespace logbot::cloud {
namespace {

// RFC 6238 appendix B: the SHA-1 seed, and the 8-digit codes whose last 6 digits a 6-digit
// generator must produce.
const std::string kRfcSecret = "12345678901234567890";

TEST(Totp, AcceptsTheRfc6238Vectors) {
  EXPECT_EQ(match_totp(kRfcSecret, "287082", 59), 1);                 // 94287082
  EXPECT_EQ(match_totp(kRfcSecret, "081804", 1111111109), 37037036);  // 07081804
  EXPECT_EQ(match_totp(kRfcSecret, "005924", 1234567890), 41152263);  // 89005924
  EXPECT_EQ(match_totp(kRfcSecret, "279037", 2000000000), 66666666);  // 69279037
  EXPECT_FALSE(match_totp(kRfcSecret, "005925", 1234567890));
}

TEST(Totp, WindowIsOneStepEachWay) {
  const std::string code = "081804";  // step 37037036
  EXPECT_TRUE(match_totp(kRfcSecret, code, 1111111109 - 30));
  EXPECT_TRUE(match_totp(kRfcSecret, code, 1111111109 + 30));
  EXPECT_FALSE(match_totp(kRfcSecret, code, 1111111109 - 60));
  EXPECT_FALSE(match_totp(kRfcSecret, code, 1111111109 + 60));
}

TEST(Totp, RefusesMalformedCodes) {
  for (const char* bad : {"", "28708", "2870822", "28708a", " 287082", "287 082"})
    EXPECT_FALSE(match_totp(kRfcSecret, bad, 59)) << bad;
}

TEST(Totp, SecretsAre160BitsAndEncodeAsBase32) {
  const std::string secret = generate_totp_secret();
  EXPECT_EQ(secret.size(), 20u);
  EXPECT_NE(secret, generate_totp_secret());
  EXPECT_EQ(base32_encode(kRfcSecret), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  EXPECT_EQ(group_in_fours("GEZDGNBVGY"), "GEZD GNBV GY");
}

TEST(Totp, OtpauthUriHasTheParametersAuthenticatorsRead) {
  EXPECT_EQ(
      otpauth_uri("Logbot", "alice@example.com", "GEZDGNBV"),
      "otpauth://totp/Logbot:alice%40example.com?secret=GEZDGNBV&issuer=Logbot&algorithm=SHA1&digits=6&period=30");
}

TEST(QrSvg, RendersAnSvgDocument) {
  const auto svg = qr_code_svg("otpauth://totp/Logbot:a%40b.c?secret=GEZDGNBV&issuer=Logbot");
  ASSERT_TRUE(svg);
  EXPECT_NE(svg->find("<svg"), std::string::npos);
  EXPECT_NE(svg->find("h1v1h-1z"), std::string::npos);
  EXPECT_FALSE(qr_code_svg(std::string(8000, 'x')));  // beyond QR capacity
}

TEST(SecretBox, OpensOnlyWithTheSameKeyAndOwner) {
  const std::string key(32, 'k');
  const std::string sealed = seal_secret(key, "raw secret", "totp-secret:u1");
  EXPECT_EQ(sealed.find("raw secret"), std::string::npos);
  EXPECT_EQ(open_secret(key, sealed, "totp-secret:u1"), "raw secret");
  EXPECT_FALSE(open_secret(key, sealed, "totp-secret:u2"));
  EXPECT_FALSE(open_secret(std::string(32, 'x'), sealed, "totp-secret:u1"));
  std::string tampered = sealed;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  EXPECT_FALSE(open_secret(key, tampered, "totp-secret:u1"));
  EXPECT_NE(seal_secret(key, "raw secret", "a"), seal_secret(key, "raw secret", "a"));  // fresh nonce
}

TEST(RecoveryCodes, TenDistinctCodesTypedLoosely) {
  const auto codes = generate_recovery_codes();
  EXPECT_EQ(codes.size(), 10u);
  EXPECT_EQ(std::set<std::string>(codes.begin(), codes.end()).size(), 10u);
  for (const auto& code : codes) {
    ASSERT_EQ(code.size(), 11u);
    EXPECT_EQ(code[5], '-');
  }
  const std::string& code = codes.front();
  std::string upper;
  for (char c : code) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  EXPECT_EQ(normalize_recovery_code(upper), normalize_recovery_code(code));
  EXPECT_EQ(normalize_recovery_code(code.substr(0, 5) + code.substr(6)), normalize_recovery_code(code));
  EXPECT_FALSE(normalize_recovery_code("short"));
  EXPECT_FALSE(normalize_recovery_code("lllll-lllll"));  // not in the alphabet
}

TEST(TotpStore, EachStepIsAcceptedOnce) {
  testing::TestWorld world;
  auto org = world.make_org("Acme", "alice@example.com");
  TotpStore& store = world.services->totp;
  store.start_enrolment(org.owner_user_id);
  store.confirm_enrolment(org.owner_user_id, 100);
  EXPECT_FALSE(store.accept_step(org.owner_user_id, 100));
  EXPECT_FALSE(store.accept_step(org.owner_user_id, 99));
  EXPECT_TRUE(store.accept_step(org.owner_user_id, 101));
  EXPECT_FALSE(store.accept_step(org.owner_user_id, 101));
}

TEST(TotpStore, SecretIsSealedAndRecoveryCodesAreSingleUse) {
  testing::TestWorld world;
  auto org = world.make_org("Acme", "alice@example.com");
  TotpStore& store = world.services->totp;
  const std::string raw = store.start_enrolment(org.owner_user_id);
  Database& db = *world.services->db;
  db.query("SELECT secret_sealed FROM user_totp", {}, [&](const Row& row) {
    EXPECT_EQ(row.text(0).find(base32_encode(raw)), std::string::npos);
    EXPECT_TRUE(row.text(0).starts_with("v1."));
  });
  EXPECT_EQ(store.find(org.owner_user_id)->raw_secret, raw);
  const auto codes = store.replace_recovery_codes(org.owner_user_id);
  EXPECT_EQ(store.recovery_codes_remaining(org.owner_user_id), 10);
  EXPECT_TRUE(store.use_recovery_code(org.owner_user_id, codes[3]));
  EXPECT_FALSE(store.use_recovery_code(org.owner_user_id, codes[3]));
  EXPECT_EQ(store.recovery_codes_remaining(org.owner_user_id), 9);
  const auto fresh = store.replace_recovery_codes(org.owner_user_id);
  EXPECT_FALSE(store.use_recovery_code(org.owner_user_id, codes[4]));  // old set gone
  EXPECT_TRUE(store.use_recovery_code(org.owner_user_id, fresh[0]));
}

// The recovery of a lost authenticator: secret and codes gone, and a new enrolment is
// demanded until one is confirmed (not merely started).
TEST(TotpStore, ResetRemovesTheFactorAndDemandsANewEnrolment) {
  testing::TestWorld world;
  auto org = world.make_org("Acme", "alice@example.com");
  TotpStore& store = world.services->totp;
  const std::string& user = org.owner_user_id;
  EXPECT_FALSE(store.enrolment_required(user));
  store.start_enrolment(user);
  store.confirm_enrolment(user, 100);
  const auto codes = store.replace_recovery_codes(user);
  store.reset(user);
  EXPECT_FALSE(store.find(user));
  EXPECT_EQ(store.recovery_codes_remaining(user), 0);
  EXPECT_FALSE(store.use_recovery_code(user, codes[0]));
  EXPECT_TRUE(store.enrolment_required(user));
  store.start_enrolment(user);
  EXPECT_TRUE(store.enrolment_required(user));
  store.confirm_enrolment(user, 200);
  EXPECT_FALSE(store.enrolment_required(user));
  EXPECT_TRUE(store.is_enabled(user));
}

}  // namespace
}  // namespace logbot::cloud
