#include "cloud/auth/session_store.hpp"

#include <gtest/gtest.h>

#include "tests/support/test_services.hpp"

namespace logbot::cloud {
namespace {

using testing::TestWorld;

TEST(SessionStore, FindsByTokenAndStoresOnlyItsHash) {
  TestWorld world;
  auto org = world.make_org("Acme", "alice@example.com");
  auto created = world.services->sessions.create(org.owner_user_id, "127.0.0.1", "web", "agent");
  Session found;
  EXPECT_EQ(world.services->sessions.find(created.token, found), SessionLookup::kValid);
  EXPECT_EQ(found.id, created.session.id);
  EXPECT_EQ(world.services->db->query_integer("SELECT COUNT(*) FROM sessions WHERE token_hash = ?", {created.token}),
            0);
  EXPECT_EQ(world.services->sessions.find(created.token + "x", found), SessionLookup::kUnknown);
}

TEST(SessionStore, IdleTimeoutIsRefreshedByUse) {
  CloudConfig config;
  config.session.idle_timeout_ms = 1000;
  TestWorld world(config);
  auto org = world.make_org("Acme", "alice@example.com");
  auto created = world.services->sessions.create(org.owner_user_id, "127.0.0.1", "web", "");
  Session found;
  world.clock.advance_ms(900);
  EXPECT_EQ(world.services->sessions.find(created.token, found), SessionLookup::kValid);
  world.clock.advance_ms(900);
  EXPECT_EQ(world.services->sessions.find(created.token, found), SessionLookup::kValid);
  world.clock.advance_ms(1000);
  EXPECT_EQ(world.services->sessions.find(created.token, found), SessionLookup::kIdleExpired);
  EXPECT_EQ(world.services->sessions.find(created.token, found), SessionLookup::kUnknown);  // deleted
}

TEST(SessionStore, AbsoluteTimeoutEndsEvenAnActiveSession) {
  CloudConfig config;
  config.session.idle_timeout_ms = 1000;
  config.session.absolute_timeout_ms = 3000;
  TestWorld world(config);
  auto org = world.make_org("Acme", "alice@example.com");
  auto created = world.services->sessions.create(org.owner_user_id, "127.0.0.1", "web", "");
  Session found;
  for (int i = 0; i < 5; ++i) {
    world.clock.advance_ms(500);
    EXPECT_EQ(world.services->sessions.find(created.token, found), SessionLookup::kValid);
  }
  world.clock.advance_ms(600);
  EXPECT_EQ(world.services->sessions.find(created.token, found), SessionLookup::kAbsoluteExpired);
}

TEST(SessionStore, RevokeOnlyOwnSessions) {
  TestWorld world;
  auto a = world.make_org("Acme", "alice@example.com");
  auto b = world.make_org("Beta", "bob@example.com");
  auto alice = world.services->sessions.create(a.owner_user_id, "127.0.0.1", "web", "");
  auto alice2 = world.services->sessions.create(a.owner_user_id, "127.0.0.1", "cli", "");
  EXPECT_FALSE(world.services->sessions.revoke(b.owner_user_id, alice.session.id));
  EXPECT_EQ(world.services->sessions.list_for_user(a.owner_user_id).size(), 2u);
  EXPECT_EQ(world.services->sessions.revoke_all_except(a.owner_user_id, alice.session.id), 1);
  Session found;
  EXPECT_EQ(world.services->sessions.find(alice2.token, found), SessionLookup::kUnknown);
  EXPECT_TRUE(world.services->sessions.revoke(a.owner_user_id, alice.session.id));
  EXPECT_EQ(world.services->sessions.find(alice.token, found), SessionLookup::kUnknown);
}

}  // namespace
}  // namespace logbot::cloud
