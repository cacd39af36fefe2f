#include "cloud/audit/audit_log.hpp"

#include <gtest/gtest.h>

#include "cloud/audit/audit_export.hpp"
#include "tests/support/test_services.hpp"

namespace logbot::cloud {
namespace {

using testing::TestWorld;

AuditRecord login_of(const std::string& user, const std::string& ip) {
  AuditRecord r;
  r.code = AuditCode::kLogin;
  r.user_id = user;
  r.username = user + "@example.com";
  r.ip = ip;
  r.client = "web";
  r.details = {{"auth_method", "password"}, {"username", user + "@example.com"}};
  return r;
}

struct AuditLogTest : ::testing::Test {
  TestWorld world;
  AuditLog& log() { return world.services->audit; }
  Database& db() { return *world.services->db; }
  void fill(int n) {
    for (int i = 0; i < n; ++i) {
      log().append(login_of("u" + std::to_string(i % 3), "10.0.0." + std::to_string(i)));
      world.clock.advance_ms(1000);
    }
  }
};

TEST_F(AuditLogTest, ChainsEveryEntryToThePreviousOne) {
  fill(5);
  const auto entries = log().query({.limit = 100});
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries.back().prev_hash, kAuditGenesisHash);
  for (std::size_t i = 0; i + 1 < entries.size(); ++i) EXPECT_EQ(entries[i].prev_hash, entries[i + 1].hash);
  const auto result = log().verify();
  EXPECT_TRUE(result.intact);
  EXPECT_EQ(result.entries, 5);
}

TEST_F(AuditLogTest, DatabaseRefusesUpdateAndDelete) {
  fill(2);
  EXPECT_THROW(db().execute("UPDATE audit_events SET details = 'x' WHERE seq = 1"), DatabaseError);
  EXPECT_THROW(db().execute("DELETE FROM audit_events WHERE seq = 1"), DatabaseError);
  EXPECT_TRUE(log().verify().intact);
}

TEST_F(AuditLogTest, VerifyNamesAModifiedEntry) {
  fill(6);
  db().execute_script("DROP TRIGGER audit_events_no_update");
  db().execute("UPDATE audit_events SET details = 'auth_method=password, username=mallory' WHERE seq = 4");
  const auto result = log().verify();
  EXPECT_FALSE(result.intact);
  EXPECT_EQ(result.first_broken_seq, 4);
}

TEST_F(AuditLogTest, VerifyNamesADeletedEntry) {
  fill(6);
  db().execute_script("DROP TRIGGER audit_events_no_delete");
  db().execute("DELETE FROM audit_events WHERE seq = 3");
  const auto result = log().verify();
  EXPECT_FALSE(result.intact);
  EXPECT_EQ(result.first_broken_seq, 3);
  EXPECT_NE(result.problem.find("missing"), std::string::npos);
}

TEST_F(AuditLogTest, VerifyNamesReorderedEntries) {
  fill(6);
  db().execute_script("DROP TRIGGER audit_events_no_update");
  // Swap the contents of entries 2 and 5, hashes included, keeping their numbers.
  db().execute_script(
      "UPDATE audit_events SET seq = -2 WHERE seq = 2; UPDATE audit_events SET seq = 2 WHERE seq = 5;"
      "UPDATE audit_events SET seq = 5 WHERE seq = -2;");
  const auto result = log().verify();
  EXPECT_FALSE(result.intact);
  EXPECT_EQ(result.first_broken_seq, 2);
}

TEST_F(AuditLogTest, VerifyCatchesAForgerWithoutTheKey) {
  fill(4);
  db().execute_script("DROP TRIGGER audit_events_no_update");
  // A forger who edits entry 2 and recomputes its hash with a key of their own is caught there.
  auto entries = log().query({.limit = 100});
  AuditEntry second = entries[2];
  ASSERT_EQ(second.seq, 2);
  second.ip = "192.0.2.1";
  second.hash = audit_entry_hash(second, std::string(32, 'x'));
  db().execute("UPDATE audit_events SET ip = ?, hash = ? WHERE seq = 2", {second.ip, second.hash});
  const auto result = log().verify();
  EXPECT_FALSE(result.intact);
  EXPECT_EQ(result.first_broken_seq, 2);
}

TEST_F(AuditLogTest, VerifyCatchesARecomputedHashThatBreaksTheLink) {
  fill(4);
  db().execute_script("DROP TRIGGER audit_events_no_update");
  // Even a forger holding the key who edits entry 2 and recomputes its hash breaks entry 3's link.
  auto entries = log().query({.limit = 100});
  AuditEntry second = entries[2];
  ASSERT_EQ(second.seq, 2);
  second.ip = "192.0.2.1";
  second.hash = audit_entry_hash(second, testing::kAuditKey);
  db().execute("UPDATE audit_events SET ip = ?, hash = ? WHERE seq = 2", {second.ip, second.hash});
  const auto result = log().verify();
  EXPECT_FALSE(result.intact);
  EXPECT_EQ(result.first_broken_seq, 3);
}

TEST_F(AuditLogTest, QueriesByUserEventAndTimeNewestFirst) {
  fill(9);
  const auto mine = log().query({.user_id = "u1", .limit = 100});
  ASSERT_EQ(mine.size(), 3u);
  EXPECT_GT(mine[0].seq, mine[1].seq);
  for (const auto& e : mine) EXPECT_EQ(e.user_id, "u1");
  EXPECT_EQ(log().query({.event = "LOGOUT", .limit = 100}).size(), 0u);
  const auto window = log().query({.from_ms = testing::kStartMs + 2000, .to_ms = testing::kStartMs + 4000});
  EXPECT_EQ(window.size(), 3u);
  EXPECT_EQ(log().query({.before_seq = 3, .limit = 100}).size(), 2u);
}

TEST(AuditDetails, EscapesSeparatorsSoValuesCannotForgeKeys) {
  EXPECT_EQ(format_details({{"auth_method", "password"}, {"username", "alice"}}),
            "auth_method=password, username=alice");
  EXPECT_EQ(format_details({{"username", "x, auth_method=none"}}), "username=x\\, auth_method\\=none");
  EXPECT_EQ(format_details({{"k", "line\nbreak"}}), "k=linebreak");
}

TEST(AuditExport, CsvHasTheAccountLogColumnsAndNeutralisesFormulas) {
  AuditEntry e;
  e.seq = 1;
  e.time_ms = 0;
  e.event = "LOGIN";
  e.ip = "127.0.0.1";
  e.client = "web";
  e.details = "=HYPERLINK(\"x\")";
  const std::string csv = audit_entries_to_csv({e});
  EXPECT_TRUE(csv.starts_with("Date,Event,IP,Client,Details,User,Actor,Seq\r\n"));
  EXPECT_NE(csv.find("\"'=HYPERLINK(\"\"x\"\")\""), std::string::npos) << csv;
}

}  // namespace
}  // namespace logbot::cloud
