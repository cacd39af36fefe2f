#include "common/config/duration.hpp"

#include <gtest/gtest.h>

namespace logbot::config {
namespace {

using std::chrono::milliseconds;

TEST(Duration, OneNumberAndOneUnit) {
  EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(parse_duration("5s"), milliseconds(5'000));
  EXPECT_EQ(parse_duration("2m"), milliseconds(120'000));
  EXPECT_EQ(parse_duration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(parse_duration("7d"), milliseconds(604'800'000));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
  for (const char* text : {"", "5", "s", "5 s", "5S", "-5s", "1.5s", "5sec", "1h30m", " 5s", "5s ", "+5s"})
    EXPECT_FALSE(parse_duration(text)) << text;
}

TEST(Duration, HugeNumbersAreRefusedNotWrapped) {
  EXPECT_FALSE(parse_duration("1234567890123s"));  // 13 digits
  EXPECT_FALSE(parse_duration("999999999999d"));   // past 64 bits of ms
  EXPECT_EQ(parse_duration("999999999999h"), milliseconds(999'999'999'999LL * 3'600'000));
}

TEST(Duration, TextReadsBack) {
  EXPECT_EQ(duration_text(milliseconds(1500)), "1500ms");
  EXPECT_EQ(duration_text(milliseconds(90'000)), "90s");
  EXPECT_EQ(duration_text(milliseconds(86'400'000)), "24h");
  EXPECT_EQ(duration_text(milliseconds(0)), "0ms");
  for (const auto value : {milliseconds(1), milliseconds(61'000), milliseconds(604'800'000)})
    EXPECT_EQ(parse_duration(duration_text(value)), value);
}

}  // namespace
}  // namespace logbot::config
