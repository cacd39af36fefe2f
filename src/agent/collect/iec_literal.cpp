// IEC 61131-3 literals shared by the S7 and Modbus write paths (see iec_literal.hpp).
#include "agent/collect/iec_literal.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <system_error>
#include <utility>

namespace logbot::agent::collect {
namespace {

char upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool equals_ignoring_case(std::string_view text, std::string_view upper_case) noexcept {
  if (text.size() != upper_case.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i)
    if (upper(text[i]) != upper_case[i]) return false;
  return true;
}

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

// The value of a digit in `base`, or nothing.
std::optional<unsigned> digit_value(char c, unsigned base) noexcept {
  unsigned digit = 0;
  if (c >= '0' && c <= '9')
    digit = static_cast<unsigned>(c - '0');
  else if (upper(c) >= 'A' && upper(c) <= 'F')
    digit = static_cast<unsigned>(upper(c) - 'A' + 10);
  else
    return std::nullopt;
  if (digit >= base) return std::nullopt;
  return digit;
}

}  // namespace

Result<Integer> parse_integer_literal(std::string_view text) {
  const std::string_view literal = text;
  const auto malformed = [&] {
    return fail(ErrorCode::not_a_number, quoted(literal) + " is not an integer (decimal, or 16#FF, 8#17, 2#1010)");
  };
  Integer number;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    number.negative = text.front() == '-';
    text.remove_prefix(1);
  }
  unsigned base = 10;
  for (auto [prefix, value] : {std::pair<std::string_view, unsigned>{"16#", 16}, {"8#", 8}, {"2#", 2}}) {
    if (text.starts_with(prefix)) {
      base = value;
      text.remove_prefix(prefix.size());
      break;
    }
  }
  // Digits, a '_' only between two of them (IEC 61131-3: 16#FF_FF, 1_000; not 16#_FF or 1__0).
  if (text.empty() || text.front() == '_' || text.back() == '_') return malformed();
  bool overflow = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      if (text[i + 1] == '_') return malformed();
      continue;
    }
    const auto digit = digit_value(text[i], base);
    if (!digit) return malformed();
    // Once beyond 64 bits, the rest is only checked for being digits.
    if (overflow || number.magnitude > (std::numeric_limits<std::uint64_t>::max() - *digit) / base) {
      overflow = true;
      continue;
    }
    number.magnitude = number.magnitude * base + *digit;
  }
  if (overflow) return fail(ErrorCode::out_of_range, quoted(literal) + " is beyond the 64-bit integer range");
  if (number.magnitude == 0) number.negative = false;
  return number;
}

Result<Value> parse_integer_value(std::string_view text, const IntegerRange& range) {
  auto number = parse_integer_literal(text);
  if (!number) return number.error();
  if (!in_range(*number, range))
    return fail(ErrorCode::out_of_range, to_text(*number) + " is outside the range " + range_text(range));
  if (range.minimum < 0) return Value{signed_of(*number)};
  return Value{number->magnitude};
}

bool in_range(const Integer& number, const IntegerRange& range) noexcept {
  if (!number.negative || number.magnitude == 0) return number.magnitude <= range.maximum;
  if (range.minimum >= 0) return false;
  const std::uint64_t lowest_magnitude =
      static_cast<std::uint64_t>(-(range.minimum + 1)) + 1;  // no overflow at INT64_MIN
  return number.magnitude <= lowest_magnitude;
}

std::int64_t signed_of(const Integer& number) noexcept {
  if (!number.negative) return static_cast<std::int64_t>(number.magnitude);
  return -static_cast<std::int64_t>(number.magnitude - 1) - 1;
}

std::string to_text(const Integer& number) {
  return (number.negative ? "-" : "") + std::to_string(number.magnitude);
}

std::string range_text(const IntegerRange& range) {
  return std::to_string(range.minimum) + ".." + std::to_string(range.maximum);
}

Result<bool> parse_bool_literal(std::string_view text) {
  if (text == "1" || equals_ignoring_case(text, "TRUE")) return true;
  if (text == "0" || equals_ignoring_case(text, "FALSE")) return false;
  return fail(ErrorCode::not_a_number, quoted(text) + " is not a BOOL: write TRUE, FALSE, 1 or 0");
}

Result<double> parse_real_literal(std::string_view text) {
  std::string_view digits = text;
  // from_chars takes '-' but not '+'; one sign only.
  if (digits.starts_with('+')) digits.remove_prefix(1);
  if (digits.empty() || digits.front() == '+' || (text.starts_with('+') && digits.front() == '-'))
    return fail(ErrorCode::not_a_number, quoted(text) + " is not a number such as 21.5 or -1.5e3");
  double number = 0;
  const char* const end = digits.data() + digits.size();
  const auto [stop, error] = std::from_chars(digits.data(), end, number);
  if (error == std::errc::result_out_of_range)
    return fail(ErrorCode::out_of_range, quoted(text) + " is beyond the range of a 64-bit real");
  if (error != std::errc() || stop != end)
    return fail(ErrorCode::not_a_number, quoted(text) + " is not a number such as 21.5 or -1.5e3");
  if (!std::isfinite(number)) return fail(ErrorCode::not_finite, quoted(text) + " is not a finite number");
  return number;
}

}  // namespace logbot::agent::collect
