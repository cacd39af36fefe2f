// The audit anchor: its line format, the reader's handling of torn and forged lines, and
// verification of a database against it (truncation, wipe, replaced history).
#include "cloud/audit/audit_anchor.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "cloud/audit/audit_log.hpp"
#include "cloud/db/database.hpp"
#include "cloud/db/schema.hpp"

namespace logbot::cloud {
namespace {

const std::string kKey(32, 'k');
const std::string kHash(64, 'a');

TEST(AuditAnchor, LinesRoundTripAndCarryAKeyedMac) {
  const std::string text = format_anchor_line({1, 1000, kHash}, kKey) + format_anchor_line({2, 1001, kHash}, kKey);
  const AnchorFile parsed = parse_anchor_file(text, kKey);
  ASSERT_FALSE(parsed.error) << *parsed.error;
  ASSERT_EQ(parsed.heads.size(), 2u);
  EXPECT_EQ(parsed.heads[1].seq, 2);
  EXPECT_EQ(parsed.heads[1].time_ms, 1001);
  EXPECT_EQ(parsed.heads[1].hash, kHash);
  EXPECT_TRUE(parsed.warnings.empty());
  // Under another key every line is a forgery.
  const AnchorFile other = parse_anchor_file(text, std::string(32, 'x'));
  ASSERT_TRUE(other.error);
  EXPECT_NE(other.error->find("line 1"), std::string::npos);
  EXPECT_NE(other.error->find("MAC"), std::string::npos);
}

TEST(AuditAnchor, AnEditedLineIsNamed) {
  std::string second = format_anchor_line({2, 1001, kHash}, kKey);
  second[3] = '7';  // seq 2 -> 7, MAC unchanged
  const AnchorFile parsed = parse_anchor_file(format_anchor_line({1, 1000, kHash}, kKey) + second, kKey);
  ASSERT_TRUE(parsed.error);
  EXPECT_NE(parsed.error->find("line 2"), std::string::npos) << *parsed.error;
  for (const char* junk : {"v1 1 2 3\n",
                           "v2 1 1000 "
                           "x\n",
                           "\n", "v1 01 1000 a b\n"}) {
    const AnchorFile bad = parse_anchor_file(junk, kKey);
    EXPECT_TRUE(bad.error) << junk;
  }
}

TEST(AuditAnchor, ATornLastLineIsIgnoredWithAWarning) {
  const std::string whole = format_anchor_line({1, 1000, kHash}, kKey);
  const std::string torn = format_anchor_line({2, 1001, kHash}, kKey).substr(0, 40);
  const AnchorFile parsed = parse_anchor_file(whole + torn, kKey);
  ASSERT_FALSE(parsed.error);
  EXPECT_EQ(parsed.heads.size(), 1u);
  ASSERT_EQ(parsed.warnings.size(), 1u);
  EXPECT_NE(parsed.warnings[0].find("incomplete"), std::string::npos);
}

struct AnchoredLogTest : ::testing::Test {
  std::string dir;
  std::string anchor_path;
  ManualClock clock{1'800'000'000'000};
  std::unique_ptr<Database> db = Database::open_in_memory();
  std::unique_ptr<AuditLog> log;
  void SetUp() override {
    char pattern[] = "/tmp/logbot-anchor-XXXXXX";
    dir = ::mkdtemp(pattern);
    anchor_path = dir + "/audit-anchor.log";
    migrate(*db);
    log = std::make_unique<AuditLog>(*db, clock, kKey, anchor_path);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  AnchorFile anchor() {
    std::ifstream in(anchor_path);
    std::ostringstream text;
    text << in.rdbuf();
    return parse_anchor_file(text.str(), kKey);
  }
  void append(int n) {
    for (int i = 0; i < n; ++i) {
      AuditRecord r;
      r.ip = "10.0.0." + std::to_string(i);
      log->append(r);
      clock.advance_ms(1);
    }
  }
  void delete_from(std::int64_t seq) {
    db->execute_script("DROP TRIGGER audit_events_no_delete");
    db->execute("DELETE FROM audit_events WHERE seq >= ?", {seq});
  }
};

TEST_F(AnchoredLogTest, EveryAppendAnchorsItsHead) {
  append(3);
  const AnchorFile a = anchor();
  ASSERT_EQ(a.heads.size(), 3u);
  EXPECT_EQ(a.heads[2].seq, 3);
  EXPECT_EQ(a.heads[2].hash, log->query({.limit = 1})[0].hash);
  const auto result = log->verify(&a);
  EXPECT_TRUE(result.intact) << result.problem;
  EXPECT_EQ(result.anchored_last_seq, 3);
  EXPECT_EQ(std::filesystem::status(anchor_path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(AnchoredLogTest, ARolledBackAppendIsNotAnchored) {
  append(1);
  {
    Transaction tx(*db);
    append(1);
  }  // rolled back
  EXPECT_EQ(anchor().heads.size(), 1u);
  {
    Transaction outer(*db);
    append(1);
    EXPECT_EQ(anchor().heads.size(), 1u);  // not before the outermost commit
    outer.commit();
  }
  EXPECT_EQ(anchor().heads.size(), 2u);
  const AnchorFile a = anchor();
  EXPECT_TRUE(log->verify(&a).intact);
}

TEST_F(AnchoredLogTest, TruncationIsNamedThoughTheChainVerifies) {
  append(5);
  delete_from(4);
  EXPECT_TRUE(log->verify().intact);  // the chain alone cannot see its end
  const AnchorFile a = anchor();
  const auto result = log->verify(&a);
  EXPECT_FALSE(result.intact);
  EXPECT_EQ(result.first_broken_seq, 4);
  EXPECT_NE(result.problem.find("ends at seq 3"), std::string::npos) << result.problem;
  EXPECT_NE(result.problem.find("recorded seq 5"), std::string::npos) << result.problem;
}

TEST_F(AnchoredLogTest, AWipeIsNamedAndSoIsAFreshStartAfterIt) {
  append(4);
  delete_from(1);
  AnchorFile a = anchor();
  auto result = log->verify(&a);
  EXPECT_FALSE(result.intact);
  EXPECT_EQ(result.first_broken_seq, 1);
  EXPECT_NE(result.problem.find("wiped"), std::string::npos) << result.problem;
  // The server goes on writing from seq 1: a new history under the old anchors.
  append(6);
  a = anchor();
  result = log->verify(&a);
  EXPECT_FALSE(result.intact);
  EXPECT_EQ(result.first_broken_seq, 1);
  EXPECT_NE(result.problem.find("differs from the one the anchor recorded"), std::string::npos) << result.problem;
}

TEST_F(AnchoredLogTest, AWriterDropsATornTailBeforeAppending) {
  append(2);
  {
    std::ofstream out(anchor_path, std::ios::app);
    out << "v1 3 1800000000002 abc";  // a crash in the middle of a line
  }
  EXPECT_EQ(anchor().warnings.size(), 1u);
  log = std::make_unique<AuditLog>(*db, clock, kKey, anchor_path);  // a restarted server
  append(1);
  const AnchorFile a = anchor();
  ASSERT_FALSE(a.error) << *a.error;
  EXPECT_TRUE(a.warnings.empty());
  EXPECT_EQ(a.heads.size(), 3u);
  EXPECT_TRUE(log->verify(&a).intact);
}

}  // namespace
}  // namespace logbot::cloud
