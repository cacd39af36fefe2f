#include "common/time_format.hpp"

#include <gtest/gtest.h>

TEST(TimeFormat, RoundTrip) {
  EXPECT_EQ(logbot::format_iso8601_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(logbot::parse_iso8601_ms("2026-11-27T20:39:01.123Z"), 1795811941123);
}
