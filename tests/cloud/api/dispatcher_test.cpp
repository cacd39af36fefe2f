// The request pipeline in-process: authentication, CSRF, tenancy and permissions, driven
// through the same dispatch function the HTTPS server calls.
#include "cloud/api/dispatcher.hpp"

#include <gtest/gtest.h>
#include <liboath/oath.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cstdlib>

#include "cloud/api/abandoned_logins.hpp"
#include "cloud/api/routes.hpp"
#include "cloud/http/request_target.hpp"
#include "tests/support/test_services.hpp"

namespace logbot::cloud {
namespace {

using testing::TestWorld;

struct Client {
  Services& services;
  std::string cookie;
  std::string csrf;
  std::string ip = "198.51.100.7";

  http::Response send(const std::string& method, const std::string& target, const std::string& body = "",
                      std::vector<std::pair<std::string, std::string>> extra = {}) {
    http::Request request;
    request.method = method;
    request.target = target;
    auto parsed = http::parse_request_target(target);
    request.path = parsed->path;
    request.query = parsed->query;
    request.body = body;
    request.peer_ip = ip;
    request.headers = std::move(extra);
    if (!body.empty()) request.headers.emplace_back("content-type", "application/json");
    if (!cookie.empty()) request.headers.emplace_back("cookie", "__Host-logbot_session=" + cookie);
    if (!csrf.empty() && method != "GET") request.headers.emplace_back("x-csrf-token", csrf);
    return api::dispatch(services, request);
  }

  http::Response login(const std::string& email, const std::string& password = "correct horse battery") {
    auto response =
        send("POST", "/api/v1/auth/login", R"({"email":")" + email + R"(","password":")" + password + "\"}");
    if (response.status == 200) {
      for (const auto& [name, value] : response.headers)
        if (name == "Set-Cookie") cookie = value.substr(value.find('=') + 1, value.find(';') - value.find('=') - 1);
      csrf = std::string(boost::json::parse(response.body).at("csrf_token").as_string());
    }
    return response;
  }
};

std::string header_of(const http::Response& response, const std::string& name) {
  for (const auto& [n, v] : response.headers)
    if (n == name) return v;
  return {};
}

std::string json_string(const http::Response& response, const char* key) {
  return std::string(boost::json::parse(response.body).at(key).as_string());
}

struct DispatcherTest : ::testing::Test {
  TestWorld world;
  ProvisionedOrg acme = world.make_org("Acme", "alice@example.com");
  ProvisionedOrg beta = world.make_org("Beta", "bob@example.com");
  Client client() { return Client{*world.services, {}, {}}; }

  // `inviter` invites a new address, whose person redeems the link with their own password.
  void invite_new_account(Client& inviter, const std::string& org_id, const std::string& email,
                          const std::string& password, const std::string& role = "viewer") {
    auto invited = inviter.send("POST", "/api/v1/orgs/" + org_id + "/invitations",
                                R"({"email":")" + email + R"(","role":")" + role + "\"}");
    ASSERT_EQ(invited.status, 201) << invited.body;
    const std::string token = json_string(invited, "token");
    auto redeemed = client().send("POST", "/api/v1/invitations/redeem",
                                  R"({"token":")" + token + R"(","password":")" + password + "\"}");
    ASSERT_EQ(redeemed.status, 201) << redeemed.body;
  }
};

TEST_F(DispatcherTest, LoginSetsAFreshSessionAndAuditsIt) {
  Client alice = client();
  ASSERT_EQ(alice.login("alice@example.com").status, 200);
  const std::string first = alice.cookie;
  ASSERT_EQ(alice.login("alice@example.com").status, 200);
  EXPECT_NE(alice.cookie, first);
  EXPECT_EQ(alice.send("GET", "/api/v1/me").status, 200);
  const auto events = world.services->audit.query({.user_id = acme.owner_user_id, .event = "LOGIN"});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].details, "auth_method=password, username=alice@example.com");
  EXPECT_EQ(events[0].ip, "198.51.100.7");
  EXPECT_EQ(events[0].client, "web");
}

TEST_F(DispatcherTest, WrongPasswordAndUnknownUserLookTheSame) {
  Client c = client();
  auto wrong = c.login("alice@example.com", "not the password");
  auto unknown = c.login("nobody@example.com", "not the password");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.body, unknown.body);
}

TEST_F(DispatcherTest, LockoutAfterRepeatedFailuresIsAuditedAndHidesThePassword) {
  Client c = client();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(c.login("alice@example.com", "wrong password!").status, 401);
  auto locked = c.login("alice@example.com");
  EXPECT_EQ(locked.status, 429);
  EXPECT_EQ(header_of(locked, "Retry-After"), "60");
  EXPECT_EQ(world.services->audit.query({.event = "LOCKOUT"}).size(), 1u);
  world.clock.advance_ms(60'000);
  EXPECT_EQ(c.login("alice@example.com").status, 200);
}

TEST_F(DispatcherTest, StateChangesNeedTheCsrfToken) {
  Client alice = client();
  alice.login("alice@example.com");
  const std::string token = alice.csrf;
  alice.csrf = "";
  EXPECT_EQ(alice.send("POST", "/api/v1/auth/logout").status, 403);
  alice.csrf = token + "x";
  EXPECT_EQ(alice.send("POST", "/api/v1/auth/logout").status, 403);
  alice.csrf = token;
  EXPECT_EQ(alice.send("POST", "/api/v1/auth/logout").status, 204);
  EXPECT_EQ(alice.send("GET", "/api/v1/me").status, 401);
}

TEST_F(DispatcherTest, CrossSiteLoginIsRefused) {
  Client c = client();
  auto response = c.send("POST", "/api/v1/auth/login", R"({"email":"alice@example.com","password":"x"})",
                         {{"origin", "https://evil.example"}, {"host", "cloud.example"}});
  EXPECT_EQ(response.status, 403);
}

TEST_F(DispatcherTest, EveryOrgRouteAnswers404ToAnotherTenant) {
  const Device acme_device = world.services->devices.register_device(acme.org_id, "press-1", "", std::nullopt);
  const std::string acme_invitation =
      world.services->invitations.create(acme.org_id, "x@example.com", Role::kViewer, std::nullopt, 60'000)
          .invitation.id;
  Client bob = client();
  bob.login("bob@example.com");
  for (const api::Route& route : api::routes()) {
    if (route.access != api::Access::kOrg) continue;
    std::string path(route.path);
    path.replace(path.find("{org_id}"), 8, acme.org_id);
    if (auto p = path.find("{user_id}"); p != std::string::npos) path.replace(p, 9, acme.owner_user_id);
    if (auto p = path.find("{device_id}"); p != std::string::npos) path.replace(p, 11, acme_device.id);
    if (auto p = path.find("{invitation_id}"); p != std::string::npos) path.replace(p, 15, acme_invitation);
    ASSERT_EQ(path.find('{'), std::string::npos) << "a path parameter this test does not know: " << route.path;
    const std::string body = route.method == "GET" || route.method == "DELETE" ? "" : R"({"role":"viewer"})";
    EXPECT_EQ(bob.send(std::string(route.method), path, body).status, 404) << route.method << " " << path;
  }
}

TEST_F(DispatcherTest, ViewerCannotWrite) {
  Client alice = client();
  alice.login("alice@example.com");
  invite_new_account(alice, acme.org_id, "vic@example.com", "viewer password 1");
  Client vic = client();
  ASSERT_EQ(vic.login("vic@example.com", "viewer password 1").status, 200);
  EXPECT_EQ(vic.send("GET", "/api/v1/orgs/" + acme.org_id + "/members").status, 200);
  EXPECT_EQ(vic.send("DELETE", "/api/v1/orgs/" + acme.org_id + "/members/" + acme.owner_user_id).status, 403);
  EXPECT_EQ(vic.send("GET", "/api/v1/orgs/" + acme.org_id + "/audit").status, 403);
}

TEST_F(DispatcherTest, LastOwnerStays) {
  Client alice = client();
  alice.login("alice@example.com");
  auto demote =
      alice.send("PATCH", "/api/v1/orgs/" + acme.org_id + "/members/" + acme.owner_user_id, R"({"role":"admin"})");
  EXPECT_EQ(demote.status, 409);
  EXPECT_EQ(alice.send("DELETE", "/api/v1/orgs/" + acme.org_id + "/members/" + acme.owner_user_id).status, 409);
}

TEST_F(DispatcherTest, IdleSessionExpiresAndIsAudited) {
  Client alice = client();
  alice.login("alice@example.com");
  world.clock.advance_ms(world.config.session.idle_timeout_ms + 1);
  EXPECT_EQ(alice.send("GET", "/api/v1/me").status, 401);
  EXPECT_EQ(world.services->audit.query({.event = "SESSION_EXPIRED"}).size(), 1u);
}

TEST_F(DispatcherTest, SecurityHeadersOnEveryKindOfResponse) {
  Client c = client();
  for (const char* target : {"/healthz", "/api/v1/me", "/api/v1/nothing", "/no-such-page.html"}) {
    const auto response = c.send("GET", target);
    const std::string csp = header_of(response, "Content-Security-Policy");
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << target;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << target;
    EXPECT_EQ(header_of(response, "X-Frame-Options"), "DENY") << target;
    EXPECT_FALSE(header_of(response, "Strict-Transport-Security").empty()) << target;
  }
}

TEST_F(DispatcherTest, OperatorSeesOrganisationsButNoTenantData) {
  ASSERT_TRUE(provision_operator(*world.services, "op@example.com", "operator password", Requester{}));
  Client op = client();
  ASSERT_EQ(op.login("op@example.com", "operator password").status, 200);
  const auto orgs = op.send("GET", "/api/v1/admin/orgs");
  EXPECT_EQ(orgs.status, 200);
  EXPECT_NE(orgs.body.find("Acme"), std::string::npos);
  EXPECT_EQ(orgs.body.find("alice@example.com"), std::string::npos);
  EXPECT_EQ(op.send("GET", "/api/v1/orgs/" + acme.org_id + "/members").status, 404);
  Client alice = client();
  alice.login("alice@example.com");
  EXPECT_EQ(alice.send("GET", "/api/v1/admin/orgs").status, 403);
}

TEST_F(DispatcherTest, PasswordChangeGuessesFeedTheLockout) {
  Client alice = client();
  alice.login("alice@example.com");
  const std::string wrong = R"({"current_password":"not my password","new_password":"a brand new password"})";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(alice.send("POST", "/api/v1/me/password", wrong).status, 403);
  EXPECT_EQ(world.services->audit.query({.event = "LOCKOUT"}).size(), 1u);
  const std::string right = R"({"current_password":"correct horse battery","new_password":"a brand new password"})";
  EXPECT_EQ(alice.send("POST", "/api/v1/me/password", right).status, 429);
  world.clock.advance_ms(60'000);
  EXPECT_EQ(alice.send("POST", "/api/v1/me/password", right).status, 204);
}

TEST_F(DispatcherTest, OrgLogShowsOnlyWhatHappenedInTheOrganisation) {
  Client alice = client();
  alice.login("alice@example.com");
  auto invited = alice.send("POST", "/api/v1/orgs/" + acme.org_id + "/invitations",
                            R"({"email":"bob@example.com","role":"viewer"})");
  ASSERT_EQ(invited.status, 201);
  Client bob = client();
  bob.login("bob@example.com");
  const auto mine = boost::json::parse(bob.send("GET", "/api/v1/me/invitations").body).at("invitations").as_array();
  ASSERT_EQ(mine.size(), 1u);
  const std::string id(mine[0].at("id").as_string());
  ASSERT_EQ(bob.send("POST", "/api/v1/me/invitations/" + id + "/accept").status, 200);
  world.clock.advance_ms(1000);
  bob.login("bob@example.com");  // a member's login is an account event, not Acme's
  ASSERT_EQ(bob.send("PATCH", "/api/v1/orgs/" + beta.org_id, R"({"require_2fa":true})").status, 200);  // Beta's event
  std::vector<std::string> seen;
  for (const auto& e : world.services->audit.query({.org_id = acme.org_id})) {
    EXPECT_EQ(e.org_id, acme.org_id) << e.event;
    seen.push_back(e.event);
  }
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "LOGIN"), 0);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "INVITATION_CREATED"), 1);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "INVITATION_ACCEPTED"), 1);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "MEMBER_ADDED"), 2);  // alice at creation, bob
}

TEST_F(DispatcherTest, InvitationAnswerIsTheSameForNewAndExistingAddresses) {
  Client alice = client();
  alice.login("alice@example.com");
  auto shape = [](const http::Response& r) {
    auto o = boost::json::parse(r.body).as_object();
    std::string keys;
    for (const auto& member : o) keys += std::string(member.key()) + ",";
    for (const auto& member : o.at("invitation").as_object()) keys += std::string(member.key()) + ",";
    return std::to_string(r.status) + ":" + keys;
  };
  auto existing = alice.send("POST", "/api/v1/orgs/" + acme.org_id + "/invitations",
                             R"({"email":"bob@example.com","role":"viewer"})");
  auto fresh = alice.send("POST", "/api/v1/orgs/" + acme.org_id + "/invitations",
                          R"({"email":"nobody@example.com","role":"viewer"})");
  EXPECT_EQ(existing.status, 201);
  EXPECT_EQ(shape(existing), shape(fresh));
  EXPECT_FALSE(world.services->orgs.membership(acme.org_id, beta.owner_user_id)) << "no member without consent";
}

TEST_F(DispatcherTest, ExpiredInvitationsAreAuditedAndCannotBeAccepted) {
  Client alice = client();
  alice.login("alice@example.com");
  auto invited = alice.send("POST", "/api/v1/orgs/" + acme.org_id + "/invitations",
                            R"({"email":"late@example.com","role":"viewer"})");
  ASSERT_EQ(invited.status, 201);
  world.clock.advance_ms(world.config.invitation_ttl_ms);
  auto redeemed =
      client().send("POST", "/api/v1/invitations/redeem",
                    R"({"token":")" + json_string(invited, "token") + R"(","password":"a long enough one"})");
  EXPECT_EQ(redeemed.status, 404);
  EXPECT_EQ(world.services->audit.query({.org_id = acme.org_id, .event = "INVITATION_EXPIRED"}).size(), 1u);
  EXPECT_FALSE(world.services->users.find_by_email("late@example.com"));
}

// Codes come from liboath's generator (not the project's code), at the test's clock.
std::string code_at(const std::string& base32_secret, std::int64_t unix_ms) {
  char* raw = nullptr;
  std::size_t raw_length = 0;
  oath_base32_decode(base32_secret.data(), base32_secret.size(), &raw, &raw_length);
  char otp[10] = {};
  oath_totp_generate(raw, raw_length, static_cast<time_t>(unix_ms / 1000), 30, 0, 6, otp);
  std::free(raw);
  return otp;
}

struct TwoFactorTest : DispatcherTest {
  std::string secret;
  // A user (Alice unless told) enrols an authenticator through the API.
  void enrol(Client& user, const std::string& password = "correct horse battery") {
    const std::string with_password = R"({"password":")" + password + "\"";
    auto started = user.send("POST", "/api/v1/me/totp/enrolment", with_password + "}");
    ASSERT_EQ(started.status, 201);
    secret = json_string(started, "secret_base32");
    EXPECT_EQ(user.send("POST", "/api/v1/me/totp/enrolment/confirm", with_password + R"(,"code":"000000x"})").status,
              400);
    auto confirmed = user.send("POST", "/api/v1/me/totp/enrolment/confirm",
                               with_password + R"(,"code":")" + code_at(secret, world.clock.now_ms()) + "\"}");
    ASSERT_EQ(confirmed.status, 200);
  }
  void SetUp() override { oath_init(); }
};

// A stolen session alone cannot enrol an authenticator: starting and confirming need the
// current password, and a wrong one is audited and counted like a wrong login password.
TEST_F(TwoFactorTest, EnrolmentNeedsTheCurrentPassword) {
  Client alice = client();
  alice.login("alice@example.com");
  EXPECT_EQ(json_string(alice.send("POST", "/api/v1/me/totp/enrolment"), "error"), "bad_request");
  EXPECT_EQ(json_string(alice.send("POST", "/api/v1/me/totp/enrolment", R"({"password":"not the password"})"), "error"),
            "wrong_password");
  EXPECT_FALSE(world.services->totp.find(acme.owner_user_id));
  auto started = alice.send("POST", "/api/v1/me/totp/enrolment", R"({"password":"correct horse battery"})");
  ASSERT_EQ(started.status, 201);
  const std::string code = code_at(json_string(started, "secret_base32"), world.clock.now_ms());
  EXPECT_EQ(
      json_string(alice.send("POST", "/api/v1/me/totp/enrolment/confirm", R"({"code":")" + code + "\"}"), "error"),
      "bad_request");
  EXPECT_EQ(json_string(alice.send("POST", "/api/v1/me/totp/enrolment/confirm",
                                   R"({"password":"not the password","code":")" + code + "\"}"),
                        "error"),
            "wrong_password");
  EXPECT_FALSE(world.services->totp.is_enabled(acme.owner_user_id));
  const auto errors = world.services->audit.query({.user_id = acme.owner_user_id, .event = "LOGIN_ERROR"});
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors.front().details,
            "auth_method=password, username=alice@example.com, action=UPDATE_TOTP, error=invalid_credentials");
  // Three more wrong passwords make five: the account is locked, for the login too.
  for (int i = 0; i < 3; ++i) alice.send("POST", "/api/v1/me/totp/enrolment", R"({"password":"not the password"})");
  EXPECT_EQ(alice.send("POST", "/api/v1/me/totp/enrolment", R"({"password":"correct horse battery"})").status, 429);
  EXPECT_EQ(client().login("alice@example.com").status, 429);
}

TEST_F(TwoFactorTest, HalfSessionCanOnlyFinishTheLogin) {
  Client alice = client();
  alice.login("alice@example.com");
  enrol(alice);
  Client again = client();
  auto first = again.login("alice@example.com");
  EXPECT_EQ(json_string(first, "stage"), "totp_required");
  EXPECT_EQ(again.send("GET", "/api/v1/me/sessions").status, 403);
  EXPECT_EQ(again.send("GET", "/api/v1/orgs/" + acme.org_id).status, 403);
  EXPECT_EQ(again.send("GET", "/api/v1/me").status, 200);
  world.clock.advance_ms(30'000);
  const std::string code = code_at(secret, world.clock.now_ms());
  const std::string half_cookie = again.cookie;
  auto second = again.send("POST", "/api/v1/auth/totp", R"({"code":")" + code + "\"}");
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(json_string(second, "stage"), "full");
  for (const auto& [name, value] : second.headers)
    if (name == "Set-Cookie") again.cookie = value.substr(value.find('=') + 1, value.find(';') - value.find('=') - 1);
  again.csrf = json_string(second, "csrf_token");
  EXPECT_NE(again.cookie, half_cookie);
  EXPECT_EQ(again.send("GET", "/api/v1/me/sessions").status, 200);
  const auto logins = world.services->audit.query({.user_id = acme.owner_user_id, .event = "LOGIN"});
  EXPECT_EQ(logins.front().details, "auth_method=password+totp, username=alice@example.com");

  // The same code again, in a new half session: refused as a replay.
  Client replay = client();
  replay.login("alice@example.com");
  EXPECT_EQ(replay.send("POST", "/api/v1/auth/totp", R"({"code":")" + code + "\"}").status, 401);
  const auto errors = world.services->audit.query({.user_id = acme.owner_user_id, .event = "LOGIN_ERROR"});
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors.front().details.find("error=invalid_totp"), std::string::npos);
  EXPECT_NE(errors.front().details.find("reason=replayed"), std::string::npos);
}

TEST_F(TwoFactorTest, HalfSessionExpiresAndWrongCodesEndIt) {
  Client alice = client();
  alice.login("alice@example.com");
  enrol(alice);
  Client slow = client();
  slow.login("alice@example.com");
  world.clock.advance_ms(world.config.session.second_factor_timeout_ms);
  EXPECT_EQ(slow.send("POST", "/api/v1/auth/totp", R"({"code":"123456"})").status, 401);
  world.clock.advance_ms(10 * 60'000);  // past any lockout
  Client guesser = client();
  guesser.ip = "203.0.113.9";
  guesser.login("alice@example.com");
  // Wrong codes: they feed the account lockout (factor 5), and end this half session at 5.
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(json_string(guesser.send("POST", "/api/v1/auth/totp", R"({"code":"000000"})"), "error"), "invalid_totp")
        << i;
  EXPECT_EQ(json_string(guesser.send("POST", "/api/v1/auth/totp", R"({"code":"000000"})"), "error"), "unauthenticated");
  EXPECT_EQ(client().login("alice@example.com").status, 429);  // the password alone no longer helps
}

TEST_F(TwoFactorTest, AnAbandonedSecondStepIsRecordedOnceWhicheverWayItEnds) {
  Client alice = client();
  alice.login("alice@example.com");
  enrol(alice);
  auto incomplete = [&] {
    return world.services->audit.query({.user_id = acme.owner_user_id, .event = "LOGIN_INCOMPLETE"});
  };
  // 1. Expiry noticed by the sweep: the cookie is never shown again.
  Client swept = client();
  swept.ip = "203.0.113.5";
  swept.login("alice@example.com");
  EXPECT_EQ(api::sweep_abandoned_logins(*world.services), 0);  // not expired yet
  world.clock.advance_ms(world.config.session.second_factor_timeout_ms);
  EXPECT_EQ(api::sweep_abandoned_logins(*world.services), 1);
  ASSERT_EQ(incomplete().size(), 1u);
  EXPECT_EQ(incomplete()[0].ip, "203.0.113.5");
  EXPECT_NE(incomplete()[0].details.find("reason=second_factor_timeout"), std::string::npos);
  EXPECT_NE(incomplete()[0].details.find("stage=totp_required"), std::string::npos);
  EXPECT_EQ(swept.send("GET", "/api/v1/me").status, 401);
  EXPECT_EQ(api::sweep_abandoned_logins(*world.services), 0);
  EXPECT_EQ(incomplete().size(), 1u);  // the later touch writes nothing more
  // 2. Expiry noticed at the next request, before any sweep.
  Client touched = client();
  touched.login("alice@example.com");
  world.clock.advance_ms(world.config.session.second_factor_timeout_ms);
  EXPECT_EQ(touched.send("POST", "/api/v1/auth/totp", R"({"code":"123456"})").status, 401);
  EXPECT_EQ(api::sweep_abandoned_logins(*world.services), 0);
  ASSERT_EQ(incomplete().size(), 2u);
  EXPECT_TRUE(world.services->audit.query({.event = "SESSION_EXPIRED"}).empty());  // it never was a login
  // 3. Logged out in the middle.
  Client quitter = client();
  quitter.login("alice@example.com");
  EXPECT_EQ(quitter.send("POST", "/api/v1/auth/logout").status, 204);
  ASSERT_EQ(incomplete().size(), 3u);
  EXPECT_NE(incomplete()[0].details.find("reason=logout"), std::string::npos);
  // A finished login writes none.
  Client finisher = client();
  finisher.login("alice@example.com");
  world.clock.advance_ms(30'000);
  ASSERT_EQ(
      finisher.send("POST", "/api/v1/auth/totp", R"({"code":")" + code_at(secret, world.clock.now_ms()) + "\"}").status,
      200);
  world.clock.advance_ms(world.config.session.second_factor_timeout_ms);
  EXPECT_EQ(api::sweep_abandoned_logins(*world.services), 0);
  EXPECT_EQ(incomplete().size(), 3u);
}

TEST_F(TwoFactorTest, ThePasswordStepDoesNotResetTheCountOfWrongCodes) {
  Client alice = client();
  alice.login("alice@example.com");
  enrol(alice);
  Client guesser = client();
  guesser.login("alice@example.com");
  for (int i = 0; i < 4; ++i) guesser.send("POST", "/api/v1/auth/totp", R"({"code":"000000"})");
  // A fresh password step must not forgive the four wrong codes: the fifth locks.
  Client again = client();
  ASSERT_EQ(again.login("alice@example.com").status, 200);
  EXPECT_EQ(again.send("POST", "/api/v1/auth/totp", R"({"code":"000000"})").status, 401);
  EXPECT_EQ(client().login("alice@example.com").status, 429);
}

TEST_F(TwoFactorTest, OrganisationPolicyGatesOnlyThatOrganisation) {
  const std::string gamma_id = world.make_org("Gamma", "carol@example.com").org_id;
  Client carol = client();
  carol.login("carol@example.com");
  invite_new_account(carol, gamma_id, "dual@example.com", "dual password 12");
  Client dual = client();
  ASSERT_EQ(dual.login("dual@example.com", "dual password 12").status, 200);
  // The account joins Acme too, by consent.
  Client alice = client();
  alice.login("alice@example.com");
  ASSERT_EQ(alice
                .send("POST", "/api/v1/orgs/" + acme.org_id + "/invitations",
                      R"({"email":"dual@example.com","role":"viewer"})")
                .status,
            201);
  const auto mine = boost::json::parse(dual.send("GET", "/api/v1/me/invitations").body).at("invitations").as_array();
  ASSERT_EQ(mine.size(), 1u);
  ASSERT_EQ(dual.send("POST", "/api/v1/me/invitations/" + std::string(mine[0].at("id").as_string()) + "/accept").status,
            200);

  ASSERT_EQ(alice.send("PATCH", "/api/v1/orgs/" + acme.org_id, R"({"require_2fa":true})").status, 200);
  EXPECT_EQ(world.services->audit.query({.event = "ORG_POLICY_CHANGED"}).front().details,
            "require_2fa_before=false, require_2fa_after=true");
  auto first = dual.login("dual@example.com", "dual password 12");
  EXPECT_EQ(json_string(first, "stage"), "full");
  auto refused = dual.send("GET", "/api/v1/orgs/" + acme.org_id);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(json_string(refused, "error"), "org_requires_2fa");
  EXPECT_EQ(dual.send("GET", "/api/v1/orgs/" + gamma_id).status, 200) << "another organisation is not gated";
  EXPECT_EQ(dual.send("GET", "/api/v1/me/sessions").status, 200) << "own account pages are not gated";
  enrol(dual, "dual password 12");
  EXPECT_EQ(dual.send("GET", "/api/v1/orgs/" + acme.org_id).status, 200);
}

TEST_F(DispatcherTest, RefusalsOnOrganisationRoutesAreRecordedRateLimited) {
  Client bob = client();
  bob.login("bob@example.com");
  auto denied = [&](const std::string& user_id) {
    return world.services->audit.query({.user_id = user_id, .event = "ACCESS_DENIED"});
  };
  // A non-member probing another tenant: 404, in bob's own log, not in Acme's.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(bob.send("GET", "/api/v1/orgs/" + acme.org_id + "/members").status, 404);
  auto bobs = denied(beta.owner_user_id);
  ASSERT_EQ(bobs.size(), 1u);
  EXPECT_FALSE(bobs[0].org_id);
  EXPECT_EQ(bobs[0].details,
            "username=bob@example.com, route=GET /api/v1/orgs/{org_id}/members, reason=not_found, "
            "requested_org=" +
                acme.org_id);
  EXPECT_TRUE(world.services->audit.query({.org_id = acme.org_id, .event = "ACCESS_DENIED"}).empty());
  // Another route is another key; after the window the count of suppressed ones comes along.
  EXPECT_EQ(bob.send("GET", "/api/v1/orgs/" + acme.org_id + "/audit").status, 404);
  EXPECT_EQ(denied(beta.owner_user_id).size(), 2u);
  world.clock.advance_ms(60'000);
  EXPECT_EQ(bob.send("GET", "/api/v1/orgs/" + acme.org_id + "/members").status, 404);
  bobs = denied(beta.owner_user_id);
  ASSERT_EQ(bobs.size(), 3u);
  EXPECT_NE(bobs[0].details.find("suppressed=4"), std::string::npos) << bobs[0].details;

  // A member without the permission: 403, in the organisation's log too.
  Client alice = client();
  alice.login("alice@example.com");
  const auto vics = world.make_org("Vic", "vic@example.com");
  world.services->orgs.add_member(acme.org_id, vics.owner_user_id, Role::kViewer);
  Client vic = client();
  vic.login("vic@example.com");
  EXPECT_EQ(vic.send("GET", "/api/v1/orgs/" + acme.org_id + "/audit").status, 403);
  const auto in_org = world.services->audit.query({.org_id = acme.org_id, .event = "ACCESS_DENIED"});
  ASSERT_EQ(in_org.size(), 1u);
  EXPECT_EQ(in_org[0].username, "vic@example.com");
  EXPECT_NE(in_org[0].details.find("reason=forbidden"), std::string::npos);
  EXPECT_NE(in_org[0].details.find("detail=role viewer lacks"), std::string::npos) << in_org[0].details;
  // Another tenant's object inside one's own organisation: the handler's 404 is recorded too.
  EXPECT_EQ(alice.send("DELETE", "/api/v1/orgs/" + acme.org_id + "/members/" + beta.owner_user_id).status, 404);
  const auto alices = denied(acme.owner_user_id);
  ASSERT_EQ(alices.size(), 1u);
  EXPECT_EQ(alices[0].org_id, acme.org_id);
  EXPECT_NE(alices[0].details.find("route=DELETE /api/v1/orgs/{org_id}/members/{user_id}"), std::string::npos)
      << alices[0].details;
}

TEST_F(DispatcherTest, MetricsNeedOperatorUnlessLoopback) {
  Client remote = client();
  EXPECT_EQ(remote.send("GET", "/metrics").status, 401);
  remote.login("alice@example.com");
  EXPECT_EQ(remote.send("GET", "/metrics").status, 403);
  Client local = client();
  local.ip = "127.0.0.1";
  const auto response = local.send("GET", "/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.body.find("# TYPE logbot_http_requests_total counter"), std::string::npos);
}

TEST_F(DispatcherTest, MalformedBodiesGetClearErrors) {
  Client c = client();
  EXPECT_EQ(c.send("POST", "/api/v1/auth/login", "{not json").status, 400);
  EXPECT_EQ(c.send("POST", "/api/v1/auth/login", "[1,2]").status, 400);
  EXPECT_EQ(c.send("POST", "/api/v1/auth/login", R"({"email":1,"password":"x"})").status, 400);
  auto wrong_type = c.send("POST", "/api/v1/auth/login", "email=a", {{"content-type", "text/plain"}});
  EXPECT_EQ(wrong_type.status, 415);
}

}  // namespace
}  // namespace logbot::cloud
