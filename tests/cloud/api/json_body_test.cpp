#include "cloud/api/json_body.hpp"

#include <gtest/gtest.h>

namespace logbot::cloud::api {
namespace {

TEST(JsonBody, ReadsOneObject) {
  auto body = JsonBody::parse(R"({"email":"alice@example.com","password":"x","admin":true})");
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(*body->required_string("email", 320), "alice@example.com");
  EXPECT_EQ(*body->required_bool("admin"), true);
  EXPECT_EQ(*body->optional_string("site", 10), std::nullopt);
  EXPECT_EQ(JsonBody::parse("[1]").error().code, ErrorCode::not_an_object);
  EXPECT_EQ(JsonBody::parse("{").error().code, ErrorCode::not_json);
  EXPECT_EQ(JsonBody::parse(R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}})").error().code,
            ErrorCode::not_json);  // deeper than 8
}

TEST(JsonBody, EachMemberProblemHasItsCodeAndNamesTheMember) {
  auto body = JsonBody::parse(R"({"name":7,"long":"abcdef","flag":"yes"})");
  ASSERT_TRUE(body);
  const auto missing = body->required_string("email", 320);
  EXPECT_EQ(missing.error().code, ErrorCode::missing);
  EXPECT_EQ(missing.error().message, "'email' is required");
  EXPECT_EQ(body->required_string("name", 10).error().code, ErrorCode::wrong_type);
  EXPECT_EQ(body->optional_string("name", 10).error().message, "'name' must be a string");
  const auto too_long = body->optional_string("long", 5);
  EXPECT_EQ(too_long.error().code, ErrorCode::too_long);
  EXPECT_EQ(too_long.error().message, "'long' is longer than 5 bytes");
  EXPECT_EQ(*body->required_string("long", 6), "abcdef");
  EXPECT_EQ(body->required_bool("flag").error().code, ErrorCode::wrong_type);
  EXPECT_EQ(body->required_bool("absent").error().code, ErrorCode::missing);
}

// Boost.JSON alone keeps the last value: {"role":"viewer","role":"owner"} would read as owner.
TEST(JsonBody, RefusesADuplicateKeyAndNamesIt) {
  auto first = JsonBody::parse(R"({"role":"viewer","email":"a@b.c","role":"owner"})");
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, ErrorCode::duplicate_key);
  EXPECT_NE(first.error().message.find("'role'"), std::string::npos) << first.error().message;
  auto nested = JsonBody::parse(R"({"a":{"k":1,"k":2}})");
  ASSERT_FALSE(nested);
  EXPECT_NE(nested.error().message.find("'k'"), std::string::npos) << nested.error().message;
  // Escapes decode before the comparison: "\u0072ole" is "role".
  auto escaped = JsonBody::parse(R"({"role":"viewer","\u0072ole":"owner"})");
  ASSERT_FALSE(escaped);
  EXPECT_NE(escaped.error().message.find("'role'"), std::string::npos) << escaped.error().message;
}

TEST(JsonBody, SameKeyInDifferentObjectsIsFine) {
  auto nested = JsonBody::parse(R"({"k":{"k":1},"list":[{"k":1},{"k":2}]})");
  EXPECT_TRUE(nested) << nested.error().message;
  auto cased = JsonBody::parse(R"({"role":1,"Role":2})");
  EXPECT_TRUE(cased) << cased.error().message;
}

}  // namespace
}  // namespace logbot::cloud::api
