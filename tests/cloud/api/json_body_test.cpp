#include "cloud/api/json_body.hpp"

#include <gtest/gtest.h>

namespace logbot::cloud::api {
namespace {

TEST(JsonBody, ReadsOneObject) {
  BodyError error;
  auto body = JsonBody::parse(R"({"email":"alice@example.com","password":"x"})", error);
  ASSERT_TRUE(body) << error.message;
  EXPECT_EQ(body->required_string("email", 320, error), "alice@example.com");
  EXPECT_FALSE(JsonBody::parse("[1]", error));
  EXPECT_FALSE(JsonBody::parse("{", error));
}

// Boost.JSON alone keeps the last value: {"role":"viewer","role":"owner"} would read as owner.
TEST(JsonBody, RefusesADuplicateKeyAndNamesIt) {
  BodyError error;
  EXPECT_FALSE(JsonBody::parse(R"({"role":"viewer","email":"a@b.c","role":"owner"})", error));
  EXPECT_NE(error.message.find("'role'"), std::string::npos) << error.message;
  error = {};
  EXPECT_FALSE(JsonBody::parse(R"({"a":{"k":1,"k":2}})", error));
  EXPECT_NE(error.message.find("'k'"), std::string::npos) << error.message;
  // Escapes decode before the comparison: "\u0072ole" is "role".
  error = {};
  EXPECT_FALSE(JsonBody::parse(R"({"role":"viewer","\u0072ole":"owner"})", error));
  EXPECT_NE(error.message.find("'role'"), std::string::npos) << error.message;
}

TEST(JsonBody, SameKeyInDifferentObjectsIsFine) {
  BodyError error;
  EXPECT_TRUE(JsonBody::parse(R"({"k":{"k":1},"list":[{"k":1},{"k":2}]})", error)) << error.message;
  EXPECT_TRUE(JsonBody::parse(R"({"role":1,"Role":2})", error)) << error.message;
}

}  // namespace
}  // namespace logbot::cloud::api
