// S7 values: every type decoded from and encoded to hand-computed bytes, BCD errors, string
// edge cases and the commissioning value text.
#include "agent/s7/s7_value.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace logbot::agent::s7 {
namespace {

using collect::Value;
using Bytes = std::vector<std::uint8_t>;

Address address(std::string_view text, std::string_view type = {}) {
  auto parsed = parse_address(text, type);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.has_value() ? *parsed : Address{};
}

Value decoded(const Address& a, const Bytes& bytes) {
  auto value = decode_value(a, bytes);
  EXPECT_TRUE(value.has_value()) << to_string(a) << ": " << value.error().message;
  return value.has_value() ? *value : Value{};
}

std::string decode_error(const Address& a, const Bytes& bytes) {
  auto value = decode_value(a, bytes);
  EXPECT_FALSE(value.has_value()) << to_string(a) << " decoded";
  if (value.has_value()) return std::string();
  EXPECT_EQ(value.error().code, ErrorCode::bad_value) << value.error().message;
  return value.error().message;
}

Bytes encoded(const Address& a, const Value& value) {
  auto bytes = encode_value(a, value);
  EXPECT_TRUE(bytes.has_value()) << to_string(a) << ": " << bytes.error().message;
  return bytes.has_value() ? *bytes : Bytes{};
}

std::string encode_error(const Address& a, const Value& value) {
  auto bytes = encode_value(a, value);
  EXPECT_FALSE(bytes.has_value()) << to_string(a) << " encoded";
  if (bytes.has_value()) return std::string();
  EXPECT_EQ(bytes.error().code, a.is_array() ? ErrorCode::not_supported : ErrorCode::value_unfit)
      << bytes.error().message;
  return bytes.error().message;
}

Value from_text(const Address& a, std::string_view text) {
  auto value = parse_value_text(a, text);
  EXPECT_TRUE(value.has_value()) << to_string(a) << " '" << text << "': " << value.error().message;
  return value.has_value() ? *value : Value{};
}

std::string text_error(const Address& a, std::string_view text) {
  auto value = parse_value_text(a, text);
  EXPECT_FALSE(value.has_value()) << to_string(a) << " '" << text << "' accepted";
  return value.has_value() ? std::string() : value.error().message;
}

// Encoding what was decoded gives the bytes back.
void expect_round_trip(const Address& a, const Bytes& bytes, const Value& value) {
  EXPECT_EQ(decoded(a, bytes), value) << to_string(a);
  EXPECT_EQ(encoded(a, value), bytes) << to_string(a);
}

TEST(S7Value, Bool) {
  const Address bit3 = address("DB1.DBX0.3");
  EXPECT_EQ(decoded(bit3, {0x08}), Value{true});
  EXPECT_EQ(decoded(bit3, {0xF7}), Value{false});
  EXPECT_EQ(decoded(address("M0.7"), {0x80}), Value{true});
  EXPECT_EQ(decoded(address("M0.0"), {0x80}), Value{false});
  // Written with the bit transport size: one byte 0x00 or 0x01, whatever the bit number.
  EXPECT_EQ(encoded(bit3, Value{true}), Bytes{0x01});
  EXPECT_EQ(encoded(bit3, Value{false}), Bytes{0x00});
  EXPECT_EQ(encoded(bit3, Value{std::int64_t{1}}), Bytes{0x01});
  EXPECT_NE(encode_error(bit3, Value{std::int64_t{2}}).find("expected TRUE or FALSE"), std::string::npos);
  encode_error(bit3, Value{std::string("TRUE")});
}

TEST(S7Value, UnsignedIntegers) {
  expect_round_trip(address("MB0"), {0xAB}, Value{std::uint64_t{171}});
  expect_round_trip(address("MW0"), {0x12, 0x34}, Value{std::uint64_t{0x1234}});
  expect_round_trip(address("MD0"), {0xDE, 0xAD, 0xBE, 0xEF}, Value{std::uint64_t{0xDEADBEEF}});
  expect_round_trip(address("MW0", "UINT"), {0xFF, 0xFF}, Value{std::uint64_t{65535}});
  expect_round_trip(address("MD0", "UDINT"), {0xFF, 0xFF, 0xFF, 0xFF}, Value{std::uint64_t{4294967295}});
  EXPECT_EQ(encoded(address("MW0"), Value{std::int64_t{258}}), (Bytes{0x01, 0x02}));
  EXPECT_EQ(encoded(address("MW0"), Value{258.0}), (Bytes{0x01, 0x02}));
  EXPECT_NE(encode_error(address("MB0"), Value{std::uint64_t{256}}).find("256 is outside the range of BYTE (0..255)"),
            std::string::npos);
  encode_error(address("MW0"), Value{std::int64_t{-1}});
  encode_error(address("MD0"), Value{std::uint64_t{4294967296}});
  EXPECT_NE(encode_error(address("MW0"), Value{2.5}).find("expected an integer 0..65535, got 2.5"), std::string::npos);
  encode_error(address("MW0"), Value{NAN});
  encode_error(address("MW0"), Value{});
}

TEST(S7Value, SignedIntegers) {
  expect_round_trip(address("MW0", "INT"), {0xFF, 0xFE}, Value{std::int64_t{-2}});
  expect_round_trip(address("MW0", "INT"), {0x80, 0x00}, Value{std::int64_t{-32768}});
  expect_round_trip(address("MW0", "INT"), {0x7F, 0xFF}, Value{std::int64_t{32767}});
  expect_round_trip(address("MD0", "DINT"), {0xFF, 0xFF, 0xFF, 0xFF}, Value{std::int64_t{-1}});
  expect_round_trip(address("MD0", "DINT"), {0x80, 0x00, 0x00, 0x00}, Value{std::int64_t{-2147483648}});
  EXPECT_EQ(encoded(address("MW0", "INT"), Value{std::uint64_t{5}}), (Bytes{0x00, 0x05}));
  EXPECT_NE(encode_error(address("MW0", "INT"), Value{std::int64_t{40000}}).find("(-32768..32767)"), std::string::npos);
  encode_error(address("MW0", "INT"), Value{std::int64_t{-32769}});
  encode_error(address("MD0", "DINT"), Value{std::uint64_t{2147483648}});
  encode_error(address("MD0", "DINT"), Value{std::uint64_t{18446744073709551615u}});
  encode_error(address("MD0", "DINT"), Value{-9223372036854775807.0 * 2});
}

TEST(S7Value, Reals) {
  // 21.5 = 1.34375 * 2^4: sign 0, exponent 127 + 4 = 0x83, fraction .01011 -> 0x41AC0000.
  expect_round_trip(address("DB1.DBD0", "REAL"), {0x41, 0xAC, 0x00, 0x00}, Value{21.5});
  expect_round_trip(address("DB1.DBD0", "REAL"), {0xBF, 0x80, 0x00, 0x00}, Value{-1.0});
  // LREAL 21.5: exponent 1023 + 4 = 0x403, same fraction -> 0x4035800000000000.
  expect_round_trip(address("DB1.DBB0", "LREAL"), {0x40, 0x35, 0x80, 0, 0, 0, 0, 0}, Value{21.5});
  expect_round_trip(address("DB1.DBB0", "LREAL"), {0xBF, 0xB9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A}, Value{-0.1});
  // 0.1 is not a float: the REAL nearest to it is 0x3DCCCCCD.
  EXPECT_EQ(encoded(address("MD0", "REAL"), Value{0.1}), (Bytes{0x3D, 0xCC, 0xCC, 0xCD}));
  EXPECT_EQ(encoded(address("MD0", "REAL"), Value{std::int64_t{2}}), (Bytes{0x40, 0x00, 0x00, 0x00}));
  EXPECT_NE(encode_error(address("MD0", "REAL"), Value{1e39}).find("outside the REAL range"), std::string::npos);
  // The largest REAL reads as 3.4028235e+38 (a little beyond FLT_MAX as a double) and is
  // written back as it was read, also as the text the table shows; 2^128 rounds to infinity.
  expect_round_trip(address("MD0", "REAL"), {0x7F, 0x7F, 0xFF, 0xFF}, Value{3.4028235e38});
  expect_round_trip(address("MD0", "REAL"), {0xFF, 0x7F, 0xFF, 0xFF}, Value{-3.4028235e38});
  EXPECT_EQ(encoded(address("MD0", "REAL"), *parse_value_text(address("MD0", "REAL"), "3.4028235e38")),
            (Bytes{0x7F, 0x7F, 0xFF, 0xFF}));
  encode_error(address("MD0", "REAL"), Value{0x1.ffffffp+127});
  encode_error(address("MD0", "REAL"), Value{std::string("1")});
  encode_error(address("MD0", "REAL"), Value{true});
  EXPECT_TRUE(std::isnan(std::get<double>(decoded(address("MD0", "REAL"), {0x7F, 0xC0, 0x00, 0x00}))));
}

TEST(S7Value, S5Time) {
  const Address timer = address("T5");
  // Time base in bits 13..12 (00 10 ms, 01 100 ms, 10 1 s, 11 10 s), three BCD digits below.
  // 10 s: 1000 units of 10 ms do not fit three digits, 100 units of 100 ms do: base 01, BCD 100 -> 0x1100.
  expect_round_trip(timer, {0x11, 0x00}, Value{std::int64_t{10000}});
  expect_round_trip(timer, {0x00, 0x99}, Value{std::int64_t{990}});      // 99 * 10 ms
  expect_round_trip(timer, {0x29, 0x99}, Value{std::int64_t{999000}});   // 999 * 1 s
  expect_round_trip(timer, {0x39, 0x99}, Value{std::int64_t{9990000}});  // 999 * 10 s = 2h46m30s
  expect_round_trip(timer, {0x00, 0x00}, Value{std::int64_t{0}});
  expect_round_trip(address("MW0", "S5TIME"), {0x09, 0x99}, Value{std::int64_t{9990}});  // finest base that holds it
  EXPECT_EQ(decoded(timer, {0xC0, 0x12}), Value{std::int64_t{120}});  // bits 15..14 are not part of the value
  EXPECT_NE(decode_error(timer, {0x10, 0xA0}).find("is not valid BCD"), std::string::npos);
  decode_error(timer, {0x0F, 0x00});
  EXPECT_NE(
      encode_error(timer, Value{std::int64_t{9990001}}).find("9990001 is outside the range of S5TIME (0..9990000)"),
      std::string::npos);
  encode_error(timer, Value{std::int64_t{-10}});
  EXPECT_NE(encode_error(timer, Value{std::int64_t{15}}).find("the nearest values are 10 ms and 20 ms"),
            std::string::npos);
  EXPECT_NE(encode_error(timer, Value{std::int64_t{12345}}).find("12300 ms and 12400 ms"), std::string::npos);
}

TEST(S7Value, Time) {
  const Address time = address("DB1.DBD0", "TIME");
  // T#1h2m3s4ms = 3600000 + 120000 + 3000 + 4 = 3723004 ms = 0x0038CEFC.
  expect_round_trip(time, {0x00, 0x38, 0xCE, 0xFC}, Value{std::int64_t{3723004}});
  expect_round_trip(time, {0xFF, 0xFF, 0xFF, 0xFF}, Value{std::int64_t{-1}});
  encode_error(time, Value{std::int64_t{2147483648}});
}

TEST(S7Value, Date) {
  const Address date = address("DB1.DBW0", "DATE");
  expect_round_trip(date, {0x00, 0x00}, Value{std::string("1990-01-01")});
  // 2026-11-27 is 13479 days after 1990-01-01: 0x34A7.
  expect_round_trip(date, {0x34, 0xA7}, Value{std::string("2026-11-27")});
  expect_round_trip(date, {0xFF, 0xFF}, Value{std::string("2169-06-06")});
  EXPECT_NE(encode_error(date, Value{std::string("1989-12-31")}).find("outside the DATE range"), std::string::npos);
  encode_error(date, Value{std::string("2169-06-07")});
  encode_error(date, Value{std::string("2026-02-30")});
  encode_error(date, Value{std::string("2026-1-1")});
  encode_error(date, Value{std::int64_t{5}});
}

TEST(S7Value, DateAndTime) {
  const Address dt = address("DB1.DBB0", "DATE_AND_TIME");
  // BCD year 26, month 11, day 27, 08:15:00, ms 250 = "25" then nibble 0, weekday: Friday = 6
  // (Siemens counts 1 = Sunday).
  expect_round_trip(dt, {0x26, 0x11, 0x27, 0x08, 0x15, 0x00, 0x25, 0x06},
                    Value{std::string("2026-11-27T08:15:00.250")});
  // 1999-12-31 was a Friday, 23:59:59.999: ms "99" then nibble 9, weekday 6.
  expect_round_trip(dt, {0x99, 0x12, 0x31, 0x23, 0x59, 0x59, 0x99, 0x96},
                    Value{std::string("1999-12-31T23:59:59.999")});
  // Two-digit years: 90..99 are the 1990s, 00..89 the 21st century.
  expect_round_trip(dt, {0x90, 0x01, 0x01, 0, 0, 0, 0, 0x02}, Value{std::string("1990-01-01T00:00:00.000")});
  expect_round_trip(dt, {0x00, 0x01, 0x01, 0, 0, 0, 0, 0x07}, Value{std::string("2000-01-01T00:00:00.000")});
  expect_round_trip(dt, {0x89, 0x12, 0x31, 0, 0, 0, 0, 0x07}, Value{std::string("2089-12-31T00:00:00.000")});
  // The weekday nibble is not checked on decode (the date determines it).
  EXPECT_EQ(decoded(dt, {0x26, 0x11, 0x27, 0x08, 0x15, 0x00, 0x25, 0x01}),
            Value{std::string("2026-11-27T08:15:00.250")});

  EXPECT_NE(decode_error(dt, {0x2A, 0x11, 0x27, 0, 0, 0, 0, 0}).find("invalid year (byte 0x2A)"), std::string::npos);
  EXPECT_NE(decode_error(dt, {0x26, 0x13, 0x27, 0, 0, 0, 0, 0}).find("invalid month"), std::string::npos);
  EXPECT_NE(decode_error(dt, {0x26, 0x02, 0x30, 0, 0, 0, 0, 0}).find("invalid day"), std::string::npos);
  EXPECT_NE(decode_error(dt, {0x26, 0x02, 0x1F, 0, 0, 0, 0, 0}).find("invalid day"), std::string::npos);
  EXPECT_NE(decode_error(dt, {0x26, 0x02, 0x10, 0x24, 0, 0, 0, 0}).find("invalid hour"), std::string::npos);
  EXPECT_NE(decode_error(dt, {0x26, 0x02, 0x10, 0, 0x60, 0, 0, 0}).find("invalid minute"), std::string::npos);
  EXPECT_NE(decode_error(dt, {0x26, 0x02, 0x10, 0, 0, 0x5A, 0, 0}).find("invalid second"), std::string::npos);
  EXPECT_NE(decode_error(dt, {0x26, 0x02, 0x10, 0, 0, 0, 0xA0, 0}).find("invalid millisecond"), std::string::npos);
  EXPECT_NE(decode_error(dt, {0x26, 0x02, 0x10, 0, 0, 0, 0, 0xA1}).find("invalid millisecond"), std::string::npos);

  EXPECT_EQ(encoded(dt, Value{std::string("2026-11-27T08:15:00")}),
            (Bytes{0x26, 0x11, 0x27, 0x08, 0x15, 0x00, 0x00, 0x06}));
  EXPECT_NE(encode_error(dt, Value{std::string("2090-01-01T00:00:00.000")}).find("outside the DATE_AND_TIME range"),
            std::string::npos);
  encode_error(dt, Value{std::string("1989-12-31T23:59:59.999")});
  encode_error(dt, Value{std::string("2026-11-27T24:00:00.000")});
  encode_error(dt, Value{std::string("2026-11-27T08:15:00.2500")});
  encode_error(dt, Value{std::string("2026-11-27")});
}

TEST(S7Value, Strings) {
  const Address text = address("DB1.DBB0", "STRING[4]");
  // Maximum length, current length, characters, unused bytes zero.
  expect_round_trip(text, {0x04, 0x02, 'A', 'B', 0x00, 0x00}, Value{std::string("AB")});
  expect_round_trip(text, {0x04, 0x00, 0x00, 0x00, 0x00, 0x00}, Value{std::string()});
  expect_round_trip(text, {0x04, 0x04, 'A', 'B', 'C', 'D'}, Value{std::string("ABCD")});
  // Characters after the current length are ignored, whatever they hold.
  EXPECT_EQ(decoded(text, {0x04, 0x01, 'A', 'x', 'y', 'z'}), Value{std::string("A")});
  // Latin-1 bytes become UTF-8 and back: 0xE4 is 'ä' (U+00E4, UTF-8 C3 A4).
  expect_round_trip(text, {0x04, 0x01, 0xE4, 0x00, 0x00, 0x00}, Value{std::string("\xC3\xA4")});
  // The PLC's string may be declared longer than the tag, as long as its text fits.
  EXPECT_EQ(decoded(text, {0xFE, 0x03, 'a', 'b', 'c', 0x00}), Value{std::string("abc")});

  EXPECT_NE(decode_error(text, {0x02, 0x03, 'a', 'b', 'c', 0}).find("current length 3 above its maximum length 2"),
            std::string::npos);
  EXPECT_NE(decode_error(text, {0x0A, 0x05, 'a', 'b', 'c', 'd'}).find("declare the tag as STRING[10]"),
            std::string::npos);
  EXPECT_NE(decode_error(text, {0x04, 0x00}).find("expected 6 bytes from the PLC, got 2"), std::string::npos);

  EXPECT_NE(encode_error(text, Value{std::string("ABCDE")}).find("5 characters, more than the 4"), std::string::npos);
  EXPECT_NE(encode_error(text, Value{std::string("\xE2\x82\xAC")}).find("not a Latin-1 character"), std::string::npos);
  encode_error(text, Value{std::string("\xC3")});  // truncated UTF-8
  encode_error(text, Value{std::int64_t{1}});
  // Four Latin-1 characters are eight UTF-8 bytes and still fit.
  EXPECT_EQ(encoded(text, Value{std::string("\xC3\xA4\xC3\xB6\xC3\xBC\xC3\x9F")}),
            (Bytes{4, 4, 0xE4, 0xF6, 0xFC, 0xDF}));

  const Address longest = address("DB1.DBB0", "STRING");
  Bytes full(256, 'x');
  full[0] = 254;
  full[1] = 254;
  EXPECT_EQ(std::get<std::string>(decoded(longest, full)), std::string(254, 'x'));
  EXPECT_EQ(encoded(longest, Value{std::string(254, 'x')}), full);
  encode_error(longest, Value{std::string(255, 'x')});
}

TEST(S7Value, Char) {
  const Address c = address("MB0", "CHAR");
  expect_round_trip(c, {0x41}, Value{std::string("A")});
  expect_round_trip(c, {0xE9}, Value{std::string("\xC3\xA9")});  // é
  expect_round_trip(c, {0x00}, Value{std::string(1, '\0')});
  EXPECT_NE(encode_error(c, Value{std::string("AB")}).find("exactly one character, got 2"), std::string::npos);
  encode_error(c, Value{std::string()});
}

TEST(S7Value, Counter) {
  const Address counter = address("C4");
  expect_round_trip(counter, {0x01, 0x23}, Value{std::uint64_t{123}});
  expect_round_trip(counter, {0x09, 0x99}, Value{std::uint64_t{999}});
  expect_round_trip(counter, {0x00, 0x00}, Value{std::uint64_t{0}});
  EXPECT_NE(decode_error(counter, {0x00, 0xA0}).find("is not a BCD count 0..999"), std::string::npos);
  decode_error(counter, {0x10, 0x00});
  encode_error(counter, Value{std::uint64_t{1000}});
  // A counter read as WORD gives the raw word.
  expect_round_trip(address("C4", "WORD"), {0x10, 0x0A}, Value{std::uint64_t{0x100A}});
}

TEST(S7Value, WrongSizeIsAnError) {
  EXPECT_NE(decode_error(address("MD0", "REAL"), {0x41, 0xAC}).find("expected 4 bytes from the PLC, got 2"),
            std::string::npos);
  decode_error(address("MB0"), {});
}

TEST(S7Value, TextOfBoolsAndIntegers) {
  const Address bit = address("M0.0");
  EXPECT_EQ(from_text(bit, "TRUE"), Value{true});
  EXPECT_EQ(from_text(bit, "true"), Value{true});
  EXPECT_EQ(from_text(bit, "1"), Value{true});
  EXPECT_EQ(from_text(bit, "False"), Value{false});
  EXPECT_EQ(from_text(bit, "0"), Value{false});
  EXPECT_NE(text_error(bit, "yes").find("expected TRUE, FALSE, 1 or 0"), std::string::npos);
  text_error(bit, "2");

  EXPECT_EQ(from_text(address("MW0", "INT"), "-17"), Value{std::int64_t{-17}});
  EXPECT_EQ(from_text(address("MW0", "INT"), " +17 "), Value{std::int64_t{17}});
  EXPECT_EQ(from_text(address("MW0"), "16#FF_FF"), Value{std::uint64_t{65535}});
  EXPECT_EQ(from_text(address("MB0"), "2#1010"), Value{std::uint64_t{10}});
  EXPECT_EQ(from_text(address("MB0"), "8#17"), Value{std::uint64_t{15}});
  EXPECT_EQ(from_text(address("MD0", "DINT"), "-2147483648"), Value{std::int64_t{-2147483648}});
  EXPECT_NE(text_error(address("MW0", "INT"), "32768").find("32768 is outside the range of INT (-32768..32767)"),
            std::string::npos);
  text_error(address("MB0"), "256");
  text_error(address("MB0"), "-1");
  text_error(address("MB0"), "2#102");
  text_error(address("MW0"), "1.5");
  text_error(address("MW0"), "");
  text_error(address("MW0"), "99999999999999999999999999");
  text_error(address("MD0", "UDINT"), "4294967296");
  EXPECT_EQ(from_text(address("C1"), "C#999"), Value{std::uint64_t{999}});
  EXPECT_EQ(from_text(address("C1"), "5"), Value{std::uint64_t{5}});
  text_error(address("C1"), "1000");
}

TEST(S7Value, TextErrorsKeepTheirMessagesAndGainACode) {
  const auto refusal = [](const Address& a, std::string_view text) {
    auto value = parse_value_text(a, text);
    EXPECT_FALSE(value.has_value()) << to_string(a) << " '" << text << "' accepted";
    return value.has_value() ? collect::Error{} : value.error();
  };
  EXPECT_EQ(refusal(address("MW0"), "16#1_0000").message, "MW0 WORD: 65536 is outside the range of WORD (0..65535)");
  EXPECT_EQ(refusal(address("MW0"), "16#1_0000").code, collect::ErrorCode::out_of_range);
  EXPECT_EQ(refusal(address("MW0", "INT"), "16#G").message,
            "MW0 INT: expected an integer -32768..32767 (decimal, or 16#FF, 8#17, 2#1010)");
  EXPECT_EQ(refusal(address("MW0", "INT"), "16#G").code, collect::ErrorCode::not_a_number);
  EXPECT_EQ(refusal(address("MW0"), "99999999999999999999999999").message,
            "MW0 WORD: expected an integer 0..65535 (decimal, or 16#FF, 8#17, 2#1010)");
  EXPECT_EQ(refusal(address("M0.0"), "yes").message, "M0.0 BOOL: expected TRUE, FALSE, 1 or 0");
  EXPECT_EQ(refusal(address("MD0", "REAL"), "inf").message,
            "MD0 REAL: expected a decimal number such as 21.5 or -1.5e3");
  EXPECT_EQ(refusal(address("MD0", "REAL"), "1e39").code, collect::ErrorCode::out_of_range);
  EXPECT_EQ(refusal(address("MW0", "S5TIME"), "S5T#10001ms").code, collect::ErrorCode::not_representable);
  EXPECT_EQ(refusal(address("MW0", "S5TIME"), "-10").code, collect::ErrorCode::out_of_range);
  // The shared IEC integer grammar: digit groups also in decimal, one sign only, '_' between digits.
  EXPECT_EQ(from_text(address("MW0", "INT"), "-1_000"), Value{std::int64_t{-1000}});
  EXPECT_EQ(from_text(address("MD0", "TIME"), "1_500"), Value{std::int64_t{1500}});
  text_error(address("MW0", "INT"), "+-1");
  text_error(address("MW0", "INT"), "--1");
  text_error(address("MW0"), "16#FF_");
  text_error(address("MD0", "REAL"), "+-1.5");
}

TEST(S7Value, TextOfReals) {
  EXPECT_EQ(from_text(address("MD0", "REAL"), "3.5"), Value{3.5});
  EXPECT_EQ(from_text(address("MD0", "REAL"), "-1.5e3"), Value{-1500.0});
  EXPECT_EQ(from_text(address("MB0", "LREAL"), "1e300"), Value{1e300});
  EXPECT_EQ(from_text(address("MD0", "REAL"), "7"), Value{7.0});
  EXPECT_NE(text_error(address("MD0", "REAL"), "1e39").find("use LREAL"), std::string::npos);
  text_error(address("MD0", "REAL"), "nan");
  text_error(address("MD0", "REAL"), "inf");
  text_error(address("MD0", "REAL"), "3,5");
  text_error(address("MB0", "LREAL"), "1e400");
}

TEST(S7Value, TextOfDurations) {
  const Address time = address("MD0", "TIME");
  EXPECT_EQ(from_text(time, "T#1h2m3s4ms"), Value{std::int64_t{3723004}});
  EXPECT_EQ(from_text(time, "TIME#1d_2h"), Value{std::int64_t{93600000}});
  EXPECT_EQ(from_text(time, "t#-5s"), Value{std::int64_t{-5000}});
  EXPECT_EQ(from_text(time, "T#250ms"), Value{std::int64_t{250}});
  EXPECT_EQ(from_text(time, "1500"), Value{std::int64_t{1500}});
  EXPECT_EQ(from_text(time, "-1500"), Value{std::int64_t{-1500}});
  EXPECT_EQ(from_text(time, "2m"), Value{std::int64_t{120000}});
  text_error(time, "T#3s1h");  // units out of order
  text_error(time, "T#1s1s");  // a unit twice
  text_error(time, "T#1x");
  text_error(time, "T#");
  text_error(time, "T#1h2");
  EXPECT_NE(text_error(time, "T#25d").find("outside the TIME range"), std::string::npos);
  text_error(time, "T#99999999999999999999d");
  // 213503982335 days are 2^64 + 34448384 ms: a product that wrapped would pass as 34448384 ms.
  text_error(time, "T#213503982335d");

  const Address s5 = address("T1");
  EXPECT_EQ(from_text(s5, "S5T#10s"), Value{std::int64_t{10000}});
  EXPECT_EQ(from_text(s5, "S5TIME#2h46m30s"), Value{std::int64_t{9990000}});
  EXPECT_EQ(from_text(s5, "990"), Value{std::int64_t{990}});
  EXPECT_NE(text_error(s5, "S5T#2h46m31s").find("outside the S5TIME range"), std::string::npos);
  text_error(s5, "S5T#-1s");
  EXPECT_NE(text_error(s5, "S5T#10s5ms").find("cannot be held by an S5TIME"), std::string::npos);
}

TEST(S7Value, TextOfDates) {
  const Address date = address("MW0", "DATE");
  EXPECT_EQ(from_text(date, "D#2026-11-27"), Value{std::string("2026-11-27")});
  EXPECT_EQ(from_text(date, "DATE#1990-01-01"), Value{std::string("1990-01-01")});
  EXPECT_EQ(from_text(date, "2026-11-27"), Value{std::string("2026-11-27")});
  text_error(date, "D#2026-13-01");
  text_error(date, "D#1989-12-31");
  text_error(date, "D#26-11-27");

  const Address dt = address("MB0", "DATE_AND_TIME");
  EXPECT_EQ(from_text(dt, "DT#2026-11-27-08:15:00.250"), Value{std::string("2026-11-27T08:15:00.250")});
  EXPECT_EQ(from_text(dt, "DATE_AND_TIME#2026-11-27-08:15:00"), Value{std::string("2026-11-27T08:15:00.000")});
  EXPECT_EQ(from_text(dt, "2026-11-27T08:15:00.25"), Value{std::string("2026-11-27T08:15:00.250")});
  EXPECT_EQ(from_text(dt, "DT#2026-11-27-08:15:00.2"), Value{std::string("2026-11-27T08:15:00.200")});
  text_error(dt, "DT#2026-11-27-08:15");
  text_error(dt, "DT#2026-11-27-08:60:00");
  text_error(dt, "DT#2026-11-27-08:15:00.");
  EXPECT_NE(text_error(dt, "DT#2090-01-01-00:00:00").find("outside the DATE_AND_TIME range"), std::string::npos);
}

TEST(S7Value, TextOfStrings) {
  const Address text = address("DB1.DBB0", "STRING[10]");
  EXPECT_EQ(from_text(text, "hello"), Value{std::string("hello")});
  EXPECT_EQ(from_text(text, " spaced "), Value{std::string(" spaced ")});  // text is taken as it is
  EXPECT_EQ(from_text(text, "'it$'s'"), Value{std::string("it's")});
  EXPECT_EQ(from_text(text, "'a$$b$N'"), Value{std::string("a$b\n")});
  EXPECT_EQ(from_text(text, "'$E4'"), Value{std::string("\xC3\xA4")});
  EXPECT_EQ(from_text(text, "''"), Value{std::string()});
  text_error(text, "'it's'");
  text_error(text, "'a$'");
  text_error(text, "'$G1'");
  EXPECT_NE(text_error(text, "eleven char").find("more than the 10"), std::string::npos);
  const Address c = address("MB0", "CHAR");
  EXPECT_EQ(from_text(c, "'x'"), Value{std::string("x")});
  EXPECT_EQ(from_text(c, "x"), Value{std::string("x")});
  text_error(c, "xy");
}

TEST(S7Value, TextValuesEncode) {
  // What parse_value_text accepts, encode_value writes.
  struct Case {
    std::string_view address, type, text;
  };
  const Case cases[] = {
      {"M0.0", "", "TRUE"},
      {"MB0", "", "200"},
      {"MW0", "INT", "-5"},
      {"MD0", "REAL", "21.5"},
      {"MB0", "LREAL", "-0.1"},
      {"T1", "", "S5T#1m"},
      {"MD0", "TIME", "T#-1s"},
      {"MW0", "DATE", "D#2026-11-27"},
      {"MB0", "DATE_AND_TIME", "DT#2026-11-27-08:15:00.250"},
      {"MB0", "STRING[8]", "'text'"},
      {"MB0", "CHAR", "z"},
      {"C1", "", "42"},
  };
  for (const Case& c : cases) {
    const Address a = address(c.address, c.type);
    const Value value = from_text(a, c.text);
    const Bytes bytes = encoded(a, value);
    EXPECT_EQ(bytes.size(), a.size()) << c.text;
    EXPECT_EQ(decoded(a, bytes), value) << c.text;
  }
}

// ---- S7-1200/1500 types (byte layouts from the TIA Portal system manuals) ----

TEST(S7Value, TiaPortalIntegers) {
  expect_round_trip(address("DB1.DBB0", "SINT"), {0x80}, Value{std::int64_t{-128}});
  expect_round_trip(address("DB1.DBB0", "SINT"), {0x7F}, Value{std::int64_t{127}});
  expect_round_trip(address("DB1.DBB0", "USINT"), {0xFF}, Value{std::uint64_t{255}});
  expect_round_trip(address("DB1.DBB0", "LINT"), {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE},
                    Value{std::int64_t{-2}});
  expect_round_trip(address("DB1.DBB0", "LINT"), {0x80, 0, 0, 0, 0, 0, 0, 0},
                    Value{std::numeric_limits<std::int64_t>::min()});
  expect_round_trip(address("DB1.DBB0", "ULINT"), Bytes(8, 0xFF), Value{std::numeric_limits<std::uint64_t>::max()});
  expect_round_trip(address("DB1.DBB0", "LWORD"), {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF},
                    Value{std::uint64_t{0x0123456789ABCDEF}});

  EXPECT_EQ(from_text(address("MB0", "SINT"), "-128"), Value{std::int64_t{-128}});
  EXPECT_NE(text_error(address("MB0", "SINT"), "128").find("outside the range of SINT (-128..127)"), std::string::npos);
  EXPECT_NE(text_error(address("MB0", "USINT"), "-1").find("outside the range of USINT"), std::string::npos);
  EXPECT_EQ(from_text(address("MB0", "LINT"), "-9223372036854775808"), Value{std::numeric_limits<std::int64_t>::min()});
  EXPECT_NE(text_error(address("MB0", "LINT"), "9223372036854775808").find("outside the range of LINT"),
            std::string::npos);
  EXPECT_EQ(from_text(address("MB0", "ULINT"), "18446744073709551615"),
            Value{std::numeric_limits<std::uint64_t>::max()});
  EXPECT_EQ(from_text(address("MB0", "LWORD"), "16#0123_4567_89AB_CDEF"), Value{std::uint64_t{0x0123456789ABCDEF}});
  EXPECT_NE(encode_error(address("MB0", "SINT"), Value{std::int64_t{200}}).find("outside the range"),
            std::string::npos);
}

TEST(S7Value, WideCharactersAreUtf16BigEndian) {
  expect_round_trip(address("DB1.DBW0", "WCHAR"), {0x03, 0xA9}, Value{std::string("\xCE\xA9")});  // Ω
  expect_round_trip(address("DB1.DBW0", "WCHAR"), {0x00, 0x41}, Value{std::string("A")});
  EXPECT_NE(decode_error(address("DB1.DBW0", "WCHAR"), {0xD8, 0x3D}).find("half of a UTF-16 surrogate pair"),
            std::string::npos);
  EXPECT_NE(encode_error(address("DB1.DBW0", "WCHAR"), Value{std::string("AB")}).find("exactly one"),
            std::string::npos);
  EXPECT_NE(encode_error(address("DB1.DBW0", "WCHAR"), Value{std::string("\xF0\x9F\x98\x80")}).find("exactly one"),
            std::string::npos);
  EXPECT_EQ(from_text(address("DB1.DBW0", "WCHAR"), "WCHAR#'$''"), Value{std::string("'")});

  // WSTRING[4]: maximum and current length in characters (words), then UTF-16 code units;
  // U+1F600 takes a surrogate pair.
  const Address wide = address("DB1.DBB0", "WSTRING[4]");
  expect_round_trip(wide, {0x00, 0x04, 0x00, 0x04, 0x00, 0x48, 0x00, 0xE4, 0xD8, 0x3D, 0xDE, 0x00},
                    Value{std::string("H\xC3\xA4\xF0\x9F\x98\x80")});
  EXPECT_EQ(encoded(wide, Value{std::string("ok")}), (Bytes{0x00, 0x04, 0x00, 0x02, 0x00, 'o', 0x00, 'k', 0, 0, 0, 0}));
  EXPECT_EQ(decoded(wide, {0x00, 0x04, 0x00, 0x00, 0x00, 'x', 0, 0, 0, 0, 0, 0}), Value{std::string()});
  EXPECT_NE(decode_error(wide, {0x00, 0x04, 0x00, 0x05, 0, 0, 0, 0, 0, 0, 0, 0}).find("above its maximum length 4"),
            std::string::npos);
  EXPECT_NE(decode_error(address("DB1.DBB0", "WSTRING[1]"), {0x00, 0x08, 0x00, 0x02, 0, 'a'})
                .find("declare the tag as WSTRING[8]"),
            std::string::npos);
  EXPECT_NE(decode_error(wide, {0x00, 0x04, 0x00, 0x01, 0xDC, 0x00, 0, 0, 0, 0, 0, 0}).find("surrogate"),
            std::string::npos);
  EXPECT_NE(encode_error(wide, Value{std::string("abcde")}).find("5 UTF-16 code units, more than the 4"),
            std::string::npos);
  EXPECT_NE(encode_error(wide, Value{std::string("\xC3")}).find("not start a valid UTF-8"), std::string::npos);
  EXPECT_NE(encode_error(wide, Value{std::string("\xED\xA0\x80")}).find("not start a valid UTF-8"),
            std::string::npos);  // an encoded surrogate
  EXPECT_NE(encode_error(wide, Value{std::string("\xC0\xAF")}).find("not start a valid UTF-8"),
            std::string::npos);  // overlong
  const Address wider = address("DB1.DBB0", "WSTRING[8]");
  EXPECT_EQ(from_text(wider, "WSTRING#'Grü$'e'"), Value{std::string("Gr\xC3\xBC'e")});
  EXPECT_EQ(from_text(wider, " spaced "), Value{std::string(" spaced ")});
  EXPECT_NE(text_error(wide, "'12345'").find("more than the 4"), std::string::npos);
}

TEST(S7Value, TimeOfDayAndLtime) {
  const Address tod = address("DB1.DBD0", "TOD");
  expect_round_trip(tod, {0x02, 0xAE, 0xA5, 0x40}, Value{std::string("12:30:00.000")});  // 45,000,000 ms
  expect_round_trip(tod, {0x05, 0x26, 0x5B, 0xFF}, Value{std::string("23:59:59.999")});
  EXPECT_NE(decode_error(tod, {0x05, 0x26, 0x5C, 0x00}).find("more than a day"), std::string::npos);
  EXPECT_EQ(from_text(tod, "TOD#12:30:00.000"), Value{std::string("12:30:00.000")});
  EXPECT_EQ(from_text(tod, "time_of_day#08:05:03.5"), Value{std::string("08:05:03.500")});
  EXPECT_EQ(from_text(tod, "23:59:59"), Value{std::string("23:59:59.000")});
  EXPECT_NE(text_error(tod, "24:00:00").find("expected a time of day such as TOD#12:30:00.000"), std::string::npos);
  EXPECT_FALSE(parse_value_text(tod, "12:30:00.1234").has_value());
  EXPECT_NE(encode_error(tod, Value{std::int64_t{5}}).find("expected a time of day"), std::string::npos);

  // LTIME: signed nanoseconds; 1h2m3s4ms5us6ns = 3,723,004,005,006 ns.
  const Address ltime = address("DB1.DBB0", "LTIME");
  expect_round_trip(ltime, {0x00, 0x00, 0x03, 0x62, 0xD4, 0x54, 0xCA, 0x8E}, Value{std::int64_t{3723004005006}});
  expect_round_trip(ltime, Bytes(8, 0xFF), Value{std::int64_t{-1}});
  EXPECT_EQ(from_text(ltime, "LTIME#1h2m3s4ms5us6ns"), Value{std::int64_t{3723004005006}});
  EXPECT_EQ(from_text(ltime, "LT#-5s"), Value{std::int64_t{-5000000000}});
  EXPECT_EQ(from_text(ltime, "LTIME#1d_2us"), Value{std::int64_t{86400000002000}});
  EXPECT_EQ(from_text(ltime, "1500"), Value{std::int64_t{1500}});  // a plain number is nanoseconds
  EXPECT_EQ(from_text(ltime, "LTIME#106751d"), Value{std::int64_t{106751} * 86400000000000});
  EXPECT_FALSE(parse_value_text(ltime, "LTIME#106752d").has_value());  // beyond 2^63 ns: refused, not wrapped
  EXPECT_FALSE(parse_value_text(ltime, "LTIME#9223372036854775808ns").has_value());
  EXPECT_FALSE(parse_value_text(ltime, "LTIME#5ns3us").has_value());  // units out of order
  // TIME keeps its milliseconds: no us/ns there.
  EXPECT_FALSE(parse_value_text(address("MD0", "TIME"), "T#5us").has_value());
}

TEST(S7Value, Dtl) {
  const Address dtl = address("DB1.DBB0", "DTL");
  // Year (UINT), month, day, weekday (1 = Sunday; 2026-11-27 is a Friday: 6), hour, minute,
  // second (USINT each), nanoseconds (UDINT).
  const Bytes friday{0x07, 0xEA, 11, 27, 6, 8, 15, 0, 0x07, 0x5B, 0xCD, 0x15};
  expect_round_trip(dtl, friday, Value{std::string("2026-11-27T08:15:00.123456789")});
  expect_round_trip(dtl, {0x07, 0xEA, 11, 27, 6, 8, 15, 0, 0x0E, 0xE6, 0xB2, 0x80},
                    Value{std::string("2026-11-27T08:15:00.250")});
  expect_round_trip(dtl, {0x07, 0xB2, 1, 1, 5, 0, 0, 0, 0, 0, 0x03, 0xE8},
                    Value{std::string("1970-01-01T00:00:00.000001")});
  EXPECT_EQ(from_text(dtl, "DTL#2026-11-27-08:15:00.123456789"), Value{std::string("2026-11-27T08:15:00.123456789")});
  EXPECT_EQ(from_text(dtl, "2026-11-27T08:15:00"), Value{std::string("2026-11-27T08:15:00.000")});
  EXPECT_EQ(encoded(dtl, from_text(dtl, "DTL#2026-11-27-08:15:00.123456789")), friday);
  // A weekday that disagrees with the date is not checked (the CPU ignores it on entry too).
  Bytes wrong_weekday = friday;
  wrong_weekday[4] = 2;
  EXPECT_EQ(decoded(dtl, wrong_weekday), Value{std::string("2026-11-27T08:15:00.123456789")});

  EXPECT_NE(decode_error(dtl, Bytes(12, 0)).find("invalid year 0 (expected 1970..2554)"), std::string::npos);
  EXPECT_NE(decode_error(dtl, {0x07, 0xEA, 2, 30, 1, 0, 0, 0, 0, 0, 0, 0}).find("invalid day 30"), std::string::npos);
  EXPECT_NE(decode_error(dtl, {0x07, 0xEA, 13, 1, 1, 0, 0, 0, 0, 0, 0, 0}).find("invalid month 13"), std::string::npos);
  EXPECT_NE(decode_error(dtl, {0x07, 0xEA, 1, 1, 1, 24, 0, 0, 0, 0, 0, 0}).find("invalid hour 24"), std::string::npos);
  EXPECT_NE(decode_error(dtl, {0x07, 0xEA, 1, 1, 1, 0, 0, 0, 0x3B, 0x9A, 0xCA, 0x00}).find("invalid nanosecond"),
            std::string::npos);
  EXPECT_NE(text_error(dtl, "DTL#1969-12-31-23:59:59").find("outside the DTL range 1970..2554"), std::string::npos);
  EXPECT_NE(text_error(dtl, "DTL#2026-11-27").find("expected a date and time such as DTL#"), std::string::npos);
  EXPECT_FALSE(parse_value_text(dtl, "DTL#2026-11-27-08:15:00.1234567890").has_value());
}

TEST(S7Value, ArraysDecodeElementByElement) {
  const Address reals = address("DB1.DBD0", "REAL[3]");
  const Value value = decoded(reals, {0x41, 0xAC, 0, 0, 0xBF, 0x80, 0, 0, 0, 0, 0, 0});
  ASSERT_TRUE(std::holds_alternative<collect::Array>(value));
  EXPECT_EQ(std::get<collect::Array>(value), (collect::Array{21.5, -1.0, 0.0}));
  EXPECT_EQ(collect::format_value(value), "[21.5, -1, 0]");

  // BOOL[12] from DB1.DBX0.3: bits 0.3..0.7 and 1.0..1.6.
  const Value bits = decoded(address("DB1.DBX0.3", "BOOL[12]"), {0b1010'1000, 0b0100'0001});
  EXPECT_EQ(std::get<collect::Array>(bits),
            (collect::Array{true, false, true, false, true, true, false, false, false, false, false, true}));

  const Value dates = decoded(address("DB1.DBB0", "DTL[2]"),
                              {0x07, 0xEA, 11, 27, 6, 8, 15, 0, 0, 0, 0, 0, 0x07, 0xB2, 1, 1, 5, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(std::get<collect::Array>(dates),
            (collect::Array{std::string("2026-11-27T08:15:00.000"), std::string("1970-01-01T00:00:00.000")}));
  EXPECT_EQ(std::get<collect::Array>(decoded(address("MW0", "INT[2]"), {0xFF, 0xFE, 0x00, 0x07})),
            (collect::Array{std::int64_t{-2}, std::int64_t{7}}));

  // One bad element makes the reading bad, and says which.
  const std::string error = decode_error(address("DB1.DBD0", "TOD[2]"), {0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF});
  EXPECT_NE(error.find("DB1.DBD0 TOD[2]: element 1: DB1.DBD4 TOD: the PLC's TOD"), std::string::npos) << error;
  EXPECT_NE(decode_error(reals, Bytes(4, 0)).find("expected 12 bytes"), std::string::npos);

  // Writes of arrays are refused, with what to do instead.
  EXPECT_NE(text_error(reals, "1").find("writing an array tag is not supported yet"), std::string::npos);
  EXPECT_NE(encode_error(reals, Value{collect::Array{1.0, 2.0, 3.0}}).find("not supported yet"), std::string::npos);
}

}  // namespace
}  // namespace logbot::agent::s7
