#include "cloud/audit/audit_rate_limit.hpp"

#include <gtest/gtest.h>

namespace logbot::cloud {
namespace {

TEST(AuditRateLimit, OneEntryPerKeyAndWindowWithTheSuppressedCount) {
  ManualClock clock(0);
  AuditRateLimit limit(clock, {.window_ms = 60'000, .max_keys = 100});
  ASSERT_TRUE(limit.admit("a"));
  for (int i = 0; i < 7; ++i) EXPECT_FALSE(limit.admit("a"));
  ASSERT_TRUE(limit.admit("b"));  // keys are independent
  clock.advance_ms(59'999);
  EXPECT_FALSE(limit.admit("a"));
  clock.advance_ms(1);
  const auto next = limit.admit("a");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->suppressed, 8);
  EXPECT_FALSE(limit.admit("a"));
}

TEST(AuditRateLimit, MemoryIsBoundedAndOverflowIsCounted) {
  ManualClock clock(0);
  AuditRateLimit limit(clock, {.window_ms = 60'000, .max_keys = 3});
  for (const char* key : {"a", "b", "c"}) EXPECT_TRUE(limit.admit(key));
  EXPECT_FALSE(limit.admit("d"));  // table full of live windows
  EXPECT_FALSE(limit.admit("e"));
  EXPECT_EQ(limit.tracked_keys(), 3u);
  EXPECT_FALSE(limit.admit("a"));  // suppressed in a's window
  clock.advance_ms(60'000);
  const auto d = limit.admit("d");  // ended windows make room; their counts are not lost
  ASSERT_TRUE(d);
  EXPECT_EQ(d->overflow, 3);  // d and e dropped, plus a's one suppressed entry
  EXPECT_LE(limit.tracked_keys(), 3u);
}

}  // namespace
}  // namespace logbot::cloud
