#include <gtest/gtest.h>

#include <set>

#include "common/crypto/constant_time.hpp"
#include "common/crypto/random.hpp"
#include "common/crypto/sha256.hpp"

namespace logbot {
namespace {

TEST(Sha256, MatchesTheFipsTestVector) {
  EXPECT_EQ(crypto::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Random, TokensAreDistinctAndOfTheRightShape) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(crypto::random_token(32));
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(crypto::random_token(32).size(), 43u);  // 256 bits in base64url without padding
  EXPECT_EQ(crypto::random_hex(16).size(), 32u);
}

TEST(Random, UuidIsVersion4Variant1) {
  const std::string uuid = crypto::uuid_v4();
  ASSERT_EQ(uuid.size(), 36u);
  EXPECT_EQ(uuid[14], '4');
  EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos);
}

TEST(ConstantTime, ComparesContentAndLength) {
  EXPECT_TRUE(crypto::constant_time_equal("secret", "secret"));
  EXPECT_FALSE(crypto::constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(crypto::constant_time_equal("secret", "secret2"));
  EXPECT_FALSE(crypto::constant_time_equal("", "x"));
  EXPECT_TRUE(crypto::constant_time_equal("", ""));
}

}  // namespace
}  // namespace logbot
