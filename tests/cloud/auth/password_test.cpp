#include <gtest/gtest.h>

#include "cloud/auth/password_hasher.hpp"
#include "cloud/auth/password_policy.hpp"

namespace logbot::cloud {
namespace {

TEST(PasswordHasher, ProductionParametersMeetOwaspMinimum) {
  PasswordHasher hasher;  // defaults
  const std::string hash = hasher.hash("correct horse battery");
  EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << hash;
  EXPECT_TRUE(hasher.verify("correct horse battery", hash));
  EXPECT_FALSE(hasher.verify("correct horse batterY", hash));
}

TEST(PasswordHasher, SaltsEveryHash) {
  PasswordHasher hasher({1, 8 * 1024});
  EXPECT_NE(hasher.hash("same password here"), hasher.hash("same password here"));
}

TEST(PasswordHasher, RefusesMalformedOrForeignHashes) {
  PasswordHasher hasher({1, 8 * 1024});
  EXPECT_FALSE(hasher.verify("x", ""));
  EXPECT_FALSE(hasher.verify("x", "$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaA"));
  EXPECT_FALSE(hasher.verify("x", "plaintext"));
  EXPECT_FALSE(hasher.verify("x", std::string(200, '$')));
}

TEST(PasswordPolicy, RequiresTwelveCharactersCountedAsPeopleCount) {
  EXPECT_EQ(check_new_password("elevenchars", "").error().code, auth::ErrorCode::password_too_short);
  EXPECT_TRUE(check_new_password("twelve chars", ""));
  // 12 code points, 24 bytes: accepted; 11 code points of 2 bytes: refused.
  EXPECT_TRUE(check_new_password("ääääääääääää", ""));
  EXPECT_EQ(check_new_password("äääääääääää", "").error().code, auth::ErrorCode::password_too_short);
  EXPECT_EQ(check_new_password(std::string(1025, 'x'), "").error().code, auth::ErrorCode::password_too_long);
  const auto is_email = check_new_password("alice@example.com", "alice@example.com");
  ASSERT_FALSE(is_email);
  EXPECT_EQ(is_email.error().code, auth::ErrorCode::password_is_email);
  EXPECT_EQ(is_email.error().message, "the password must not be the e-mail address");
}

}  // namespace
}  // namespace logbot::cloud
