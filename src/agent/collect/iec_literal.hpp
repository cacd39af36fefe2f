// The IEC 61131-3 literals every protocol's write path shares: integers in decimal or based
// (16#FF, 8#17, 2#1010_0101), with the range check of the target type, booleans and reals.
// What only one protocol has (S7 durations, dates, counters C#5, strings) stays in its codec.
// Pure functions over text a person typed; callers trim blanks first.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/collect/error.hpp"
#include "agent/collect/value.hpp"

namespace logbot::agent::collect {

// An integer as sign and magnitude, so that every int64 and every uint64 is exact.
struct Integer {
  bool negative = false;  // never true for zero
  std::uint64_t magnitude = 0;
};

// The integers a type holds: {-32768, 32767} for an INT, {0, 0xFFFF} for a WORD.
struct IntegerRange {
  std::int64_t minimum = 0;
  std::uint64_t maximum = 0;
};

// An optional sign, then decimal digits or a based literal 2#, 8#, 16# (hex digits in either
// case); a single '_' may separate two digits (1_000, 16#FF_FF). Errors: not_a_number,
// out_of_range beyond 64 bits (checked digit by digit, so no text wraps around).
Result<Integer> parse_integer_literal(std::string_view text);

// parse_integer_literal, then the range: an int64 Value when the range has negative numbers
// (a signed type), else a uint64. Errors: not_a_number, out_of_range (also beyond 64 bits).
Result<Value> parse_integer_value(std::string_view text, const IntegerRange& range);

bool in_range(const Integer& number, const IntegerRange& range) noexcept;
// The number as an int64; only for a number within the int64 range.
std::int64_t signed_of(const Integer& number) noexcept;
// "-17"; "-32768..32767".
std::string to_text(const Integer& number);
std::string range_text(const IntegerRange& range);

// TRUE or FALSE in any case, 1 or 0. Error: not_a_number.
Result<bool> parse_bool_literal(std::string_view text);

// A decimal number with an optional sign, fraction and exponent: 21.5, -1.5e3, +7. Errors:
// not_a_number, out_of_range (beyond a double), not_finite (inf, nan).
Result<double> parse_real_literal(std::string_view text);

}  // namespace logbot::agent::collect
