// Collected values: how the commissioning table prints them and when report-by-exception
// reports a new reading.
#include "agent/collect/value.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

namespace logbot::agent::collect {
namespace {

TEST(CollectValue, FormatsEveryAlternative) {
  EXPECT_EQ(format_value(Value{}), "null");
  EXPECT_EQ(format_value(Value{true}), "TRUE");
  EXPECT_EQ(format_value(Value{false}), "FALSE");
  EXPECT_EQ(format_value(Value{std::int64_t{-17}}), "-17");
  EXPECT_EQ(format_value(Value{std::numeric_limits<std::int64_t>::min()}), "-9223372036854775808");
  EXPECT_EQ(format_value(Value{std::numeric_limits<std::uint64_t>::max()}), "18446744073709551615");
  EXPECT_EQ(format_value(Value{std::string("abc")}), "\"abc\"");
}

TEST(CollectValue, RealsInTheShortestTextThatRoundTrips) {
  EXPECT_EQ(format_value(Value{21.5}), "21.5");
  EXPECT_EQ(format_value(Value{0.1}), "0.1");
  EXPECT_EQ(format_value(Value{1e20}), "1e+20");
  EXPECT_EQ(format_value(Value{-3.0}), "-3");
  EXPECT_EQ(format_value(Value{0.1 + 0.2}), "0.30000000000000004");
  // A REAL read from the PLC is a float widened to double: its shortest double text is long.
  EXPECT_EQ(format_value(Value{static_cast<double>(0.1f)}), "0.10000000149011612");
  EXPECT_EQ(format_value(Value{std::nan("")}), "nan");
  EXPECT_EQ(format_value(Value{-std::numeric_limits<double>::infinity()}), "-inf");
  for (double value : {21.5, 0.1, 1e20, 1.0 / 3, 5e-324, 1.7976931348623157e308}) {
    const std::string text = format_value(Value{value});
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), value) << text;
  }
}

TEST(CollectValue, StringsAreQuotedAndEscaped) {
  EXPECT_EQ(format_value(Value{std::string("say \"hi\"")}), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(format_value(Value{std::string("a\\b")}), "\"a\\\\b\"");
  EXPECT_EQ(format_value(Value{std::string("line\nnext\r\tend")}), "\"line\\nnext\\r\\tend\"");
  EXPECT_EQ(format_value(Value{std::string("\x1b[2J")}), "\"\\x1B[2J\"");
  EXPECT_EQ(format_value(Value{std::string(1, '\0')}), "\"\\x00\"");
  EXPECT_EQ(format_value(Value{std::string("\x7f")}), "\"\\x7F\"");
  EXPECT_EQ(format_value(Value{std::string("K\xC3\xA4se")}), "\"K\xC3\xA4se\"");  // UTF-8 passes
  EXPECT_EQ(format_value(Value{std::string()}), "\"\"");
}

Reading good(Value value) {
  return Reading{std::move(value), Quality::good, "", 0};
}
Reading bad(std::string status) {
  return Reading{Value{}, Quality::bad, std::move(status), 0};
}

TEST(CollectValue, NumbersChangeBeyondTheDeadband) {
  EXPECT_FALSE(changed(good(Value{20.0}), good(Value{20.5}), 0.5));
  EXPECT_TRUE(changed(good(Value{20.0}), good(Value{20.6}), 0.5));
  EXPECT_TRUE(changed(good(Value{20.0}), good(Value{19.4}), 0.5));
  EXPECT_FALSE(changed(good(Value{20.0}), good(Value{20.0}), 0));
  EXPECT_TRUE(changed(good(Value{20.0}), good(Value{20.000001}), 0));
  EXPECT_FALSE(changed(good(Value{std::int64_t{10}}), good(Value{std::int64_t{12}}), 2));
  EXPECT_TRUE(changed(good(Value{std::int64_t{10}}), good(Value{std::int64_t{13}}), 2));
  EXPECT_FALSE(changed(good(Value{std::uint64_t{5}}), good(Value{std::uint64_t{5}}), 0));
  EXPECT_TRUE(changed(good(Value{std::uint64_t{5}}), good(Value{std::uint64_t{6}}), 0));
  // Neighbours far above 2^53 stay distinct.
  EXPECT_TRUE(
      changed(good(Value{std::uint64_t{18446744073709551615u}}), good(Value{std::uint64_t{18446744073709551614u}}), 0));
  // Integer and real alternatives compare as numbers.
  EXPECT_FALSE(changed(good(Value{std::int64_t{7}}), good(Value{7.0}), 0));
  EXPECT_FALSE(changed(good(Value{std::int64_t{-1}}), good(Value{std::uint64_t{0}}), 1));
  EXPECT_TRUE(changed(good(Value{std::int64_t{-1}}), good(Value{std::uint64_t{1}}), 1));
}

TEST(CollectValue, NotANumberIsAStateOfItsOwn) {
  const double nan = std::nan("");
  EXPECT_FALSE(changed(good(Value{nan}), good(Value{nan}), 0));
  EXPECT_TRUE(changed(good(Value{1.0}), good(Value{nan}), 100));
  EXPECT_TRUE(changed(good(Value{nan}), good(Value{1.0}), 100));
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(changed(good(Value{inf}), good(Value{inf}), 0));
  EXPECT_TRUE(changed(good(Value{inf}), good(Value{-inf}), 0));
}

TEST(CollectValue, OtherTypesChangeAtAll) {
  EXPECT_FALSE(changed(good(Value{true}), good(Value{true}), 10));
  EXPECT_TRUE(changed(good(Value{true}), good(Value{false}), 10));
  EXPECT_FALSE(changed(good(Value{std::string("a")}), good(Value{std::string("a")}), 10));
  EXPECT_TRUE(changed(good(Value{std::string("a")}), good(Value{std::string("b")}), 10));
  EXPECT_TRUE(changed(good(Value{std::string("1")}), good(Value{1.0}), 10));
}

TEST(CollectValue, QualityAndStatusChanges) {
  EXPECT_TRUE(changed(good(Value{1.0}), bad("PLC return code 0x0A (object does not exist)"), 100));
  EXPECT_TRUE(changed(bad("timeout"), good(Value{1.0}), 100));
  EXPECT_FALSE(changed(bad("timeout"), bad("timeout"), 0));
  EXPECT_TRUE(changed(bad("timeout"), bad("connection refused"), 0));
}

// An array tag is one value: printed as its elements in brackets, and news when any element
// changed (a NaN element equal to a NaN, as for a single value).
TEST(CollectValue, ArraysPrintAsListsAndChangeByElement) {
  EXPECT_EQ(format_value(Value{Array{21.5, std::int64_t{-2}, true, std::string("a\"b")}}),
            "[21.5, -2, TRUE, \"a\\\"b\"]");
  EXPECT_EQ(format_value(Value{Array{}}), "[]");
  const double nan = std::nan("");
  EXPECT_FALSE(changed(good(Value{Array{1.0, nan}}), good(Value{Array{1.0, nan}}), 0));
  EXPECT_TRUE(changed(good(Value{Array{1.0, nan}}), good(Value{Array{1.5, nan}}), 0));
  EXPECT_TRUE(changed(good(Value{Array{1.0}}), good(Value{Array{1.0, 2.0}}), 0));
  EXPECT_TRUE(changed(good(Value{Array{true}}), good(Value{Array{false}}), 0));
  EXPECT_FALSE(changed(good(Value{Array{std::string("x")}}), good(Value{Array{std::string("x")}}), 0));
}

}  // namespace
}  // namespace logbot::agent::collect

TEST(CollectValue, RealsReadAsTheirShortestText) {
  using logbot::agent::collect::widen_real;
  EXPECT_EQ(widen_real(63.38438f), 63.38438);
  EXPECT_NE(static_cast<double>(63.38438f), 63.38438);  // what a plain conversion would give
  EXPECT_EQ(static_cast<float>(widen_real(63.38438f)), 63.38438f);
  EXPECT_EQ(widen_real(21.5f), 21.5);
  EXPECT_EQ(widen_real(0.1f), 0.1);
  EXPECT_EQ(widen_real(-3.4028235e38f), -3.4028235e38);
  EXPECT_TRUE(std::isnan(widen_real(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(widen_real(std::numeric_limits<float>::infinity()), std::numeric_limits<double>::infinity());
}
