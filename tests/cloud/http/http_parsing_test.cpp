#include <gtest/gtest.h>

#include "cloud/http/cookies.hpp"
#include "cloud/http/request_target.hpp"
#include "cloud/http/router.hpp"

namespace logbot::cloud::http {
namespace {

TEST(RequestTarget, DecodesPathAndQuery) {
  auto t = parse_request_target("/api/v1/me/audit?format=csv&user=a%40b.c");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/api/v1/me/audit");
  EXPECT_EQ(t->query.at("format"), "csv");
  EXPECT_EQ(t->query.at("user"), "a@b.c");
  EXPECT_EQ(parse_request_target("/")->path, "/");
}

TEST(RequestTarget, RefusesTraversalAndControlBytes) {
  for (const char* bad :
       {"", "relative", "/../etc/passwd", "/a/%2e%2e/b", "/a/./b", "/a%2fb", "/a%00b", "/x?y=%0a", "http://evil/"})
    EXPECT_FALSE(parse_request_target(bad)) << bad;
}

TEST(Cookies, FindsTheSessionCookieAmongOthers) {
  EXPECT_EQ(find_cookie("a=1; __Host-logbot_session=tok; b=2", kSessionCookie), "tok");
  EXPECT_EQ(find_cookie("__Host-logbot_session=\"q\"", kSessionCookie), "q");
  EXPECT_FALSE(find_cookie("x__Host-logbot_session=tok", kSessionCookie));
  EXPECT_FALSE(find_cookie("", kSessionCookie));
}

TEST(Cookies, SessionCookieHasEveryProtectiveAttribute) {
  const std::string cookie = session_cookie("tok", 60);
  for (const char* attribute : {"__Host-", "Path=/", "Secure", "HttpOnly", "SameSite=Strict"})
    EXPECT_NE(cookie.find(attribute), std::string::npos) << attribute;
  EXPECT_EQ(cookie.find("Domain"), std::string::npos);
}

TEST(Router, MatchesPatternsWithParameters) {
  PathParams params;
  EXPECT_TRUE(match_path("/api/v1/orgs/{org_id}/members/{user_id}", "/api/v1/orgs/o1/members/u2", params));
  EXPECT_EQ(params.at("org_id"), "o1");
  EXPECT_EQ(params.at("user_id"), "u2");
  EXPECT_FALSE(match_path("/api/v1/orgs/{org_id}", "/api/v1/orgs/o1/members", params));
  EXPECT_FALSE(match_path("/api/v1/orgs/{org_id}", "/api/v1/orgs/", params));
  EXPECT_FALSE(match_path("/api/v1/orgs", "/api/v1/orgsx", params));
  EXPECT_TRUE(match_path("/healthz", "/healthz", params));
}

}  // namespace
}  // namespace logbot::cloud::http
