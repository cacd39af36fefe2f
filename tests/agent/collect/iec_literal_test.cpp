// The IEC 61131-3 literals shared by the S7 and Modbus write paths: every base, digit groups,
// signs, the edges of each width, and junk, which must be refused, never read as something.
#include "agent/collect/iec_literal.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace logbot::agent::collect {
namespace {

constexpr IntegerRange kInt{-32768, 32767};
constexpr IntegerRange kWord{0, 0xFFFF};
constexpr IntegerRange kSInt{-128, 127};
constexpr IntegerRange kByte{0, 0xFF};
constexpr IntegerRange kDInt{std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()};
constexpr IntegerRange kDWord{0, 0xFFFFFFFF};
constexpr IntegerRange kLInt{std::numeric_limits<std::int64_t>::min(),
                             static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())};
constexpr IntegerRange kLWord{0, std::numeric_limits<std::uint64_t>::max()};

Value integer(std::string_view text, const IntegerRange& range) {
  auto value = parse_integer_value(text, range);
  EXPECT_TRUE(value.has_value()) << "'" << text << "': " << value.error().message;
  return value.has_value() ? *value : Value{};
}

Error integer_error(std::string_view text, const IntegerRange& range) {
  auto value = parse_integer_value(text, range);
  EXPECT_FALSE(value.has_value()) << "'" << text << "' accepted";
  return value.has_value() ? Error{} : value.error();
}

Value u(std::uint64_t value) {
  return Value{value};
}
Value s(std::int64_t value) {
  return Value{value};
}

TEST(IecLiteral, EveryBase) {
  EXPECT_EQ(integer("255", kWord), u(255));
  EXPECT_EQ(integer("16#FF", kWord), u(255));
  EXPECT_EQ(integer("16#ff", kWord), u(255));
  EXPECT_EQ(integer("16#aB", kWord), u(0xAB));
  EXPECT_EQ(integer("8#17", kWord), u(15));
  EXPECT_EQ(integer("2#1010", kWord), u(10));
  EXPECT_EQ(integer("007", kWord), u(7));
  EXPECT_EQ(integer("16#0", kWord), u(0));
}

TEST(IecLiteral, DigitGroups) {
  EXPECT_EQ(integer("2#1010_0101", kByte), u(0xA5));
  EXPECT_EQ(integer("16#FF_FF", kWord), u(0xFFFF));
  EXPECT_EQ(integer("16#0123_4567_89AB_CDEF", kLWord), u(0x0123456789ABCDEF));
  EXPECT_EQ(integer("1_000", kInt), s(1000));
  EXPECT_EQ(integer("-1_0_0", kInt), s(-100));
  // A '_' only between two digits.
  for (std::string_view junk : {"16#_FF", "16#FF_", "16#F__F", "_1", "1_", "1__0", "2#_", "-_1"})
    EXPECT_EQ(integer_error(junk, kLWord).code, ErrorCode::not_a_number) << junk;
}

TEST(IecLiteral, Signs) {
  EXPECT_EQ(integer("-17", kInt), s(-17));
  EXPECT_EQ(integer("+17", kInt), s(17));
  EXPECT_EQ(integer("-16#80", kSInt), s(-128));
  EXPECT_EQ(integer("-0", kWord), u(0));  // minus zero is zero, also for unsigned types
  EXPECT_EQ(integer("-0", kInt), s(0));
  EXPECT_EQ(integer_error("-1", kWord).code, ErrorCode::out_of_range);
  for (std::string_view junk : {"--1", "+-1", "-+1", "+", "-", "16#-1", "1-", "- 1"})
    EXPECT_EQ(integer_error(junk, kInt).code, ErrorCode::not_a_number) << junk;
}

TEST(IecLiteral, EdgesOfEachWidth) {
  EXPECT_EQ(integer("-128", kSInt), s(-128));
  EXPECT_EQ(integer("127", kSInt), s(127));
  integer_error("-129", kSInt);
  integer_error("128", kSInt);
  EXPECT_EQ(integer("16#FF", kByte), u(255));
  integer_error("16#100", kByte);

  EXPECT_EQ(integer("-32768", kInt), s(-32768));
  EXPECT_EQ(integer("32767", kInt), s(32767));
  EXPECT_EQ(integer("16#7FFF", kInt), s(32767));
  EXPECT_EQ(integer_error("-32769", kInt).message, "-32769 is outside the range -32768..32767");
  EXPECT_EQ(integer_error("32768", kInt).message, "32768 is outside the range -32768..32767");
  // Based literals are magnitudes, not bit patterns: 16#FFFF is 65535, not -1.
  EXPECT_EQ(integer_error("16#FFFF", kInt).code, ErrorCode::out_of_range);

  EXPECT_EQ(integer("16#FFFF", kWord), u(0xFFFF));
  EXPECT_EQ(integer("65535", kWord), u(65535));
  EXPECT_EQ(integer_error("16#1_0000", kWord).message, "65536 is outside the range 0..65535");

  EXPECT_EQ(integer("-2147483648", kDInt), s(std::numeric_limits<std::int32_t>::min()));
  EXPECT_EQ(integer("2147483647", kDInt), s(std::numeric_limits<std::int32_t>::max()));
  integer_error("2147483648", kDInt);
  integer_error("-2147483649", kDInt);
  EXPECT_EQ(integer("16#FFFF_FFFF", kDWord), u(0xFFFFFFFF));
  integer_error("16#1_0000_0000", kDWord);

  EXPECT_EQ(integer("-9223372036854775808", kLInt), s(std::numeric_limits<std::int64_t>::min()));
  EXPECT_EQ(integer("9223372036854775807", kLInt), s(std::numeric_limits<std::int64_t>::max()));
  integer_error("9223372036854775808", kLInt);
  integer_error("-9223372036854775809", kLInt);
  EXPECT_EQ(integer("18446744073709551615", kLWord), u(std::numeric_limits<std::uint64_t>::max()));
  EXPECT_EQ(integer("16#FFFF_FFFF_FFFF_FFFF", kLWord), u(std::numeric_limits<std::uint64_t>::max()));
  EXPECT_EQ(integer("2#" + std::string(64, '1'), kLWord), u(std::numeric_limits<std::uint64_t>::max()));
}

TEST(IecLiteral, BeyondSixtyFourBitsIsRefusedNotWrapped) {
  for (std::string_view big : {"18446744073709551616", "16#1_0000_0000_0000_0000", "-18446744073709551616",
                               "99999999999999999999999999", "8#2000000000000000000000"}) {
    auto number = parse_integer_literal(big);
    ASSERT_FALSE(number.has_value()) << big;
    EXPECT_EQ(number.error().code, ErrorCode::out_of_range) << big;
    EXPECT_NE(number.error().message.find("64-bit"), std::string::npos) << number.error().message;
  }
  EXPECT_EQ(parse_integer_literal("2#1" + std::string(64, '0')).error().code, ErrorCode::out_of_range);
  // Beyond 64 bits and malformed: malformed wins.
  EXPECT_EQ(parse_integer_literal("99999999999999999999999x").error().code, ErrorCode::not_a_number);
}

TEST(IecLiteral, JunkIsNotANumber) {
  for (std::string_view junk : {"", "16#", "16#G", "2#102", "8#8", "2#", "#FF", "16##FF", "0x10", "FF", "1.5", "1e3",
                                "12abc", " 1", "1 ", "TRUE", "10#5", "16 #FF"}) {
    auto number = parse_integer_literal(junk);
    ASSERT_FALSE(number.has_value()) << "'" << junk << "' accepted";
    EXPECT_EQ(number.error().code, ErrorCode::not_a_number) << junk;
    EXPECT_NE(number.error().message.find("is not an integer"), std::string::npos) << number.error().message;
  }
}

TEST(IecLiteral, IntegerHelpers) {
  EXPECT_EQ(to_text(*parse_integer_literal("-16#10")), "-16");
  EXPECT_EQ(signed_of(*parse_integer_literal("-9223372036854775808")), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(range_text(kInt), "-32768..32767");
  EXPECT_TRUE(in_range(Integer{true, 32768}, kInt));
  EXPECT_FALSE(in_range(Integer{true, 32769}, kInt));
  EXPECT_TRUE(in_range(Integer{true, 0}, kWord));
  EXPECT_TRUE(in_range(Integer{true, std::uint64_t{1} << 63}, kLInt));
}

TEST(IecLiteral, Booleans) {
  for (std::string_view yes : {"TRUE", "true", "True", "1"}) {
    auto value = parse_bool_literal(yes);
    ASSERT_TRUE(value.has_value()) << yes;
    EXPECT_TRUE(*value) << yes;
  }
  for (std::string_view no : {"FALSE", "false", "fAlSe", "0"}) {
    auto value = parse_bool_literal(no);
    ASSERT_TRUE(value.has_value()) << no;
    EXPECT_FALSE(*value) << no;
  }
  for (std::string_view junk : {"", "2", "yes", "on", "TRUE ", "01", "16#1", "T"}) {
    auto value = parse_bool_literal(junk);
    ASSERT_FALSE(value.has_value()) << junk;
    EXPECT_EQ(value.error().code, ErrorCode::not_a_number);
  }
}

TEST(IecLiteral, Reals) {
  EXPECT_EQ(*parse_real_literal("21.5"), 21.5);
  EXPECT_EQ(*parse_real_literal("-1.5e3"), -1500.0);
  EXPECT_EQ(*parse_real_literal("+7"), 7.0);
  EXPECT_EQ(*parse_real_literal("1e300"), 1e300);
  EXPECT_EQ(parse_real_literal("1e400").error().code, ErrorCode::out_of_range);
  EXPECT_EQ(parse_real_literal("inf").error().code, ErrorCode::not_finite);
  EXPECT_EQ(parse_real_literal("nan").error().code, ErrorCode::not_finite);
  for (std::string_view junk : {"", "+", "-", "--1", "+-1", "++1", "21,5", "1.5x", "16#FF", " 1", "0x10"})
    EXPECT_EQ(parse_real_literal(junk).error().code, ErrorCode::not_a_number) << junk;
}

}  // namespace
}  // namespace logbot::agent::collect
