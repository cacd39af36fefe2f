#include "common/time_format.hpp"

#include <gtest/gtest.h>

namespace logbot {
namespace {

TEST(TimeFormat, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(format_iso8601_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601_ms(1795811941123), "2026-11-27T20:39:01.123Z");
  EXPECT_EQ(format_iso8601_ms(-1), "1969-12-31T23:59:59.999Z");
}

TEST(TimeFormat, ParsesWhatItFormats) {
  for (std::int64_t ms : {0LL, 1795811941123LL, 951782400000LL /* 2000-02-29 */, 4102444799999LL})
    EXPECT_EQ(parse_iso8601_ms(format_iso8601_ms(ms)), ms);
}

TEST(TimeFormat, ParsesZonesAndShortForms) {
  EXPECT_EQ(parse_iso8601_ms("2026-11-27"), 1795737600000);
  EXPECT_EQ(parse_iso8601_ms("2026-11-27T21:39:01+01:00"), 1795811941000);
  EXPECT_EQ(parse_iso8601_ms("2026-11-27T20:39"), 1795811940000);
  EXPECT_EQ(parse_iso8601_ms("2026-11-27T20:39:01.5Z"), 1795811941500);
}

TEST(TimeFormat, RejectsMalformedText) {
  for (const char* bad : {"", "2026", "2026-13-01", "2026-11-27T25:00", "2026-11-27T20:39:01Zjunk",
                          "2026-11-27T20:39:01.Z", "20261127", "2026-11-27T20:39:01+0100"})
    EXPECT_FALSE(parse_iso8601_ms(bad)) << bad;
}

}  // namespace
}  // namespace logbot
