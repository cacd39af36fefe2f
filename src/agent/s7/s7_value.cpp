// S7 value codec. Everything on the wire is big-endian; S5TIME, DATE_AND_TIME and counters are
// BCD, and invalid BCD from the PLC is reported as an error value, never guessed. Character
// data is single-byte (Latin-1, ASCII in practice) in CHAR/STRING, UTF-16 (big-endian) in the
// S7-1200/1500's WCHAR/WSTRING, and UTF-8 in the agent. The S7-1200/1500 layouts (TIA Portal
// system manuals): WSTRING[n] is a word of maximum length and a word of current length, both
// in characters, then n UTF-16 code units; DTL is 12 bytes: year (UINT), month, day, weekday
// (1 = Sunday), hour, minute, second (USINT each), nanoseconds (UDINT); TOD is a UDINT of
// milliseconds since midnight; LTIME a signed 64-bit count of nanoseconds. An array is its
// elements back to back, each coded as on its own.
#include "agent/s7/s7_value.hpp"

#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "agent/collect/iec_literal.hpp"

namespace logbot::agent::s7 {
namespace {

using collect::Array;
using collect::Element;
using collect::in_range;
using collect::Integer;
using collect::IntegerRange;
using collect::range_text;
using collect::signed_of;
using collect::to_text;
using collect::Value;
template <class T>
using TextResult = boost::system::result<T, std::string>;

// An error message on its way into any Result. Needed because a TextResult<Value> or
// TextResult<std::string> cannot tell by itself whether a std::string is its value or its error.
struct TextError {
  std::string message;
  template <class T>
  operator TextResult<T>() && {  // NOLINT(google-explicit-constructor): the point is the implicit conversion
    return TextResult<T>(boost::system::in_place_error, std::move(message));
  }
};

namespace chrono = std::chrono;

// S5TIME: bits 13..12 select the time base, bits 11..0 hold three BCD digits (bits 15..14
// are not part of the value). Range 10 ms .. 999 * 10 s = 2h46m30s.
constexpr std::array<std::int64_t, 4> kS5TimeBaseMs{10, 100, 1000, 10000};
constexpr std::int64_t kS5TimeMaxMs = 999 * 10000;
constexpr std::uint16_t kCounterMax = 999;
// DATE counts days from 1990-01-01 in an unsigned 16-bit word.
constexpr chrono::sys_days kDateEpoch{chrono::year{1990} / chrono::January / 1};
// DATE_AND_TIME holds a two-digit year: 90..99 are 1990..1999, 00..89 are 2000..2089.
constexpr int kDateAndTimeFirstYear = 1990;
constexpr int kDateAndTimeLastYear = 2089;
// DTL spans 1970-01-01 to 2554-12-31 (Siemens' value range of the type).
constexpr int kDtlFirstYear = 1970;
constexpr int kDtlLastYear = 2554;
constexpr std::int64_t kMillisecondsPerDay = 86'400'000;
constexpr std::uint32_t kNanosecondsPerSecond = 1'000'000'000;

std::string prefix(const Address& address) {
  return to_string(address) + ": ";
}

std::uint16_t be16(std::span<const std::uint8_t> b) noexcept {
  return static_cast<std::uint16_t>((b[0] << 8) | b[1]);
}
std::uint32_t be32(std::span<const std::uint8_t> b) noexcept {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}
std::uint64_t be64(std::span<const std::uint8_t> b) noexcept {
  return (std::uint64_t{be32(b.first(4))} << 32) | be32(b.subspan(4, 4));
}
void put_be(std::vector<std::uint8_t>& out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = bytes; i-- > 0;) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

std::string hex_byte(std::uint8_t byte) {
  std::array<char, 8> text{};
  std::snprintf(text.data(), text.size(), "0x%02X", byte);
  return text.data();
}

// Two BCD digits, or nothing when a nibble is above 9.
std::optional<int> bcd_byte(std::uint8_t byte) noexcept {
  const int high = byte >> 4, low = byte & 0x0F;
  if (high > 9 || low > 9) return std::nullopt;
  return high * 10 + low;
}
// Three BCD digits from the low 12 bits of a word.
std::optional<int> bcd_three_digits(std::uint16_t word) noexcept {
  const int hundreds = (word >> 8) & 0x0F, tens = (word >> 4) & 0x0F, units = word & 0x0F;
  if (hundreds > 9 || tens > 9 || units > 9) return std::nullopt;
  return hundreds * 100 + tens * 10 + units;
}
std::uint16_t to_bcd_three_digits(int value) noexcept {
  return static_cast<std::uint16_t>(((value / 100) << 8) | (((value / 10) % 10) << 4) | (value % 10));
}
std::uint8_t to_bcd_byte(int value) noexcept {
  return static_cast<std::uint8_t>(((value / 10) << 4) | (value % 10));
}

std::string two_digits(unsigned value) {
  std::string text = std::to_string(value);
  return text.size() < 2 ? "0" + text : text;
}
std::string format_date(const chrono::year_month_day& date) {
  std::string year = std::to_string(static_cast<int>(date.year()));
  while (year.size() < 4) year.insert(0, "0");
  return year + "-" + two_digits(static_cast<unsigned>(date.month())) + "-" +
         two_digits(static_cast<unsigned>(date.day()));
}

// ---- characters: Latin-1 bytes in the PLC, UTF-8 in the agent ----

std::string latin1_to_utf8(std::span<const std::uint8_t> bytes) {
  std::string text;
  for (std::uint8_t byte : bytes) {
    if (byte < 0x80) {
      text += static_cast<char>(byte);
    } else {
      text += static_cast<char>(0xC0 | (byte >> 6));
      text += static_cast<char>(0x80 | (byte & 0x3F));
    }
  }
  return text;
}

TextResult<std::string> utf8_to_latin1(std::string_view text) {
  std::string bytes;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      bytes += static_cast<char>(lead);
      ++i;
      continue;
    }
    // Only U+0080..U+00FF (two-byte sequences with lead byte C2 or C3) exist in Latin-1.
    if ((lead == 0xC2 || lead == 0xC3) && i + 1 < text.size() &&
        (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80) {
      bytes += static_cast<char>(((lead & 0x03) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3F));
      i += 2;
      continue;
    }
    return TextError{std::string("character ") + std::to_string(i + 1) +
                     " is not a Latin-1 character (an S7 STRING or CHAR holds single-byte characters U+0000..U+00FF)"};
  }
  return TextResult<std::string>(boost::system::in_place_value, std::move(bytes));
}

// ---- characters: UTF-16 code units in WCHAR/WSTRING, UTF-8 in the agent ----

void append_utf8(std::string& text, std::uint32_t code_point) {
  if (code_point < 0x80) {
    text += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    text += static_cast<char>(0xC0 | (code_point >> 6));
    text += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    text += static_cast<char>(0xE0 | (code_point >> 12));
    text += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    text += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    text += static_cast<char>(0xF0 | (code_point >> 18));
    text += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    text += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    text += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

bool is_surrogate(std::uint32_t unit) noexcept {
  return unit >= 0xD800 && unit <= 0xDFFF;
}

// `units` big-endian UTF-16 code units at `bytes`; an unpaired surrogate is an error (the
// position of its code unit, 1-based), never replaced silently.
TextResult<std::string> utf16_to_utf8(std::span<const std::uint8_t> bytes, std::size_t units) {
  std::string text;
  for (std::size_t i = 0; i < units; ++i) {
    const std::uint32_t unit = be16(bytes.subspan(2 * i, 2));
    if (!is_surrogate(unit)) {
      append_utf8(text, unit);
      continue;
    }
    if (unit <= 0xDBFF && i + 1 < units) {
      const std::uint32_t low = be16(bytes.subspan(2 * (i + 1), 2));
      if (low >= 0xDC00 && low <= 0xDFFF) {
        append_utf8(text, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
        ++i;
        continue;
      }
    }
    return TextError{"character " + std::to_string(i + 1) + " is half of a UTF-16 surrogate pair (code unit " +
                     hex_byte(static_cast<std::uint8_t>(unit >> 8)) +
                     hex_byte(static_cast<std::uint8_t>(unit)).substr(2) + ")"};
  }
  return TextResult<std::string>(boost::system::in_place_value, std::move(text));
}

// Strict UTF-8 (no overlong forms, no surrogates, at most U+10FFFF) to UTF-16 code units.
TextResult<std::vector<std::uint16_t>> utf8_to_utf16(std::string_view text) {
  std::vector<std::uint16_t> units;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = lead < 0x80             ? 1
                         : (lead & 0xE0) == 0xC0 ? 2
                         : (lead & 0xF0) == 0xE0 ? 3
                         : (lead & 0xF8) == 0xF0 ? 4
                                                 : 0;
    std::uint32_t code_point = length == 1   ? lead
                               : length == 2 ? (lead & 0x1F)
                               : length == 3 ? (lead & 0x0F)
                                             : (lead & 0x07);
    bool valid = length != 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      valid = (next & 0xC0) == 0x80;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    constexpr std::array<std::uint32_t, 5> kSmallest{0, 0, 0x80, 0x800, 0x10000};
    if (!valid || code_point < kSmallest[length] || code_point > 0x10FFFF || is_surrogate(code_point))
      return TextError{"byte " + std::to_string(i + 1) + " does not start a valid UTF-8 character"};
    if (code_point < 0x10000) {
      units.push_back(static_cast<std::uint16_t>(code_point));
    } else {
      units.push_back(static_cast<std::uint16_t>(0xD800 + ((code_point - 0x10000) >> 10)));
      units.push_back(static_cast<std::uint16_t>(0xDC00 + ((code_point - 0x10000) & 0x3FF)));
    }
    i += length;
  }
  return units;
}

// ---- numbers: every integral Value as sign and magnitude, so int64 and uint64 are both exact ----

std::optional<Integer> integer_of(const Value& value) {
  if (const auto* b = std::get_if<bool>(&value)) return Integer{false, *b ? 1u : 0u};
  if (const auto* u = std::get_if<std::uint64_t>(&value)) return Integer{false, *u};
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    if (*i >= 0) return Integer{false, static_cast<std::uint64_t>(*i)};
    return Integer{true, static_cast<std::uint64_t>(-(*i + 1)) + 1};  // -INT64_MIN without overflow
  }
  if (const auto* d = std::get_if<double>(&value)) {
    // 2^64 and -2^63 are exact doubles: the bounds of what fits either integer type.
    if (!std::isfinite(*d) || std::trunc(*d) != *d || *d >= 18446744073709551616.0 || *d < -9223372036854775808.0)
      return std::nullopt;
    if (*d >= 0) return Integer{false, static_cast<std::uint64_t>(*d)};
    return Integer{true, static_cast<std::uint64_t>(-*d)};
  }
  return std::nullopt;
}

std::optional<IntegerRange> integer_range(const Address& address) noexcept {
  switch (address.type) {
    case DataType::Byte:
    case DataType::USInt: return IntegerRange{0, 0xFF};
    case DataType::SInt: return IntegerRange{-128, 127};
    case DataType::LInt:
    case DataType::LTime:
      return IntegerRange{std::numeric_limits<std::int64_t>::min(),
                          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())};
    case DataType::ULInt:
    case DataType::LWord: return IntegerRange{0, std::numeric_limits<std::uint64_t>::max()};
    case DataType::Word:
    case DataType::UInt: return IntegerRange{0, 0xFFFF};
    case DataType::DWord:
    case DataType::UDInt: return IntegerRange{0, 0xFFFFFFFF};
    case DataType::Int: return IntegerRange{-32768, 32767};
    case DataType::DInt:
    case DataType::Time:
      return IntegerRange{std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()};
    case DataType::S5Time: return IntegerRange{0, kS5TimeMaxMs};
    case DataType::Counter: return IntegerRange{0, kCounterMax};
    default: return std::nullopt;
  }
}

std::string describe_value(const Value& value) {
  if (std::holds_alternative<std::monostate>(value)) return "no value";
  if (const auto* s = std::get_if<std::string>(&value)) return "the text \"" + *s + "\"";
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "TRUE" : "FALSE";
  if (const auto* d = std::get_if<double>(&value)) {
    std::array<char, 32> text{};
    auto [end, ec] = std::to_chars(text.data(), text.data() + text.size(), *d);
    return ec == std::errc{} ? std::string(text.data(), end) : std::string("a number");
  }
  if (auto number = integer_of(value)) return to_text(*number);
  return "this value";
}

// The integral value for an integer type, checked against the type's range.
TextResult<Integer> checked_integer(const Address& address, const Value& value) {
  const IntegerRange range = *integer_range(address);
  auto number = integer_of(value);
  if (!number)
    return TextError{prefix(address) + "expected an integer " + range_text(range) + ", got " + describe_value(value)};
  if (!in_range(*number, range))
    return TextError{prefix(address) + to_text(*number) + " is outside the range of " +
                     std::string(type_name(address.type)) + " (" + range_text(range) + ")"};
  return *number;
}

// S5TIME picks the finest time base that holds the value exactly: a value that needs more
// than three digits in every base it divides is refused rather than silently rounded.
TextResult<std::uint16_t> s5time_word(const Address& address, std::int64_t milliseconds) {
  if (milliseconds < 0 || milliseconds > kS5TimeMaxMs)
    return TextError{prefix(address) + std::to_string(milliseconds) +
                     " ms is outside the S5TIME range 0..9990000 ms (0 to 2h46m30s)"};
  for (std::size_t base = 0; base < kS5TimeBaseMs.size(); ++base) {
    const std::int64_t unit = kS5TimeBaseMs[base];
    if (milliseconds % unit == 0 && milliseconds / unit <= 999)
      return static_cast<std::uint16_t>((base << 12) | to_bcd_three_digits(static_cast<int>(milliseconds / unit)));
  }
  // The coarsest base that reaches the value decides the resolution.
  std::int64_t unit = kS5TimeBaseMs.back();
  for (std::int64_t candidate : kS5TimeBaseMs)
    if (milliseconds <= 999 * candidate) {
      unit = candidate;
      break;
    }
  const std::int64_t below = milliseconds / unit * unit;
  return TextError{prefix(address) + std::to_string(milliseconds) +
                   " ms cannot be held by an S5TIME (three digits in a time base of " + std::to_string(unit) +
                   " ms at this size); the nearest values are " + std::to_string(below) + " ms and " +
                   std::to_string(below + unit) + " ms"};
}

// ---- dates and times as text ----

struct DateAndTime {
  chrono::year_month_day date;
  int hour = 0, minute = 0, second = 0, millisecond = 0;
};

std::string format_date_and_time(const DateAndTime& value) {
  std::string ms = std::to_string(value.millisecond);
  while (ms.size() < 3) ms.insert(0, "0");
  return format_date(value.date) + "T" + two_digits(static_cast<unsigned>(value.hour)) + ":" +
         two_digits(static_cast<unsigned>(value.minute)) + ":" + two_digits(static_cast<unsigned>(value.second)) + "." +
         ms;
}

// Exactly `digits` decimal digits at text[position].
std::optional<int> fixed_digits(std::string_view text, std::size_t position, std::size_t digits) {
  if (position + digits > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = position; i < position + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// "YYYY-MM-DD", a real calendar date.
std::optional<chrono::year_month_day> parse_date_text(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto year = fixed_digits(text, 0, 4), month = fixed_digits(text, 5, 2), day = fixed_digits(text, 8, 2);
  if (!year || !month || !day) return std::nullopt;
  const chrono::year_month_day date{chrono::year{*year}, chrono::month{static_cast<unsigned>(*month)},
                                    chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  return date;
}

// "YYYY-MM-DD" + ('T' | '-') + "HH:MM:SS" + optional ".f", ".ff" or ".fff".
std::optional<DateAndTime> parse_date_and_time_text(std::string_view text) {
  if (text.size() < 19 || (text[10] != 'T' && text[10] != 't' && text[10] != '-')) return std::nullopt;
  auto date = parse_date_text(text.substr(0, 10));
  if (!date || text[13] != ':' || text[16] != ':') return std::nullopt;
  auto hour = fixed_digits(text, 11, 2), minute = fixed_digits(text, 14, 2), second = fixed_digits(text, 17, 2);
  if (!hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  DateAndTime value{*date, *hour, *minute, *second, 0};
  if (text.size() > 19) {
    const std::size_t fraction_digits = text.size() - 20;
    if (text[19] != '.' || fraction_digits < 1 || fraction_digits > 3) return std::nullopt;
    auto fraction = fixed_digits(text, 20, fraction_digits);
    if (!fraction) return std::nullopt;
    value.millisecond = *fraction * (fraction_digits == 1 ? 100 : fraction_digits == 2 ? 10 : 1);
  }
  return value;
}

TextResult<std::int64_t> days_since_epoch(const Address& address, const chrono::year_month_day& date) {
  const auto days = (chrono::sys_days{date} - kDateEpoch).count();
  if (days < 0 || days > 0xFFFF)
    return TextError{prefix(address) + format_date(date) + " is outside the DATE range 1990-01-01..2169-06-06"};
  return static_cast<std::int64_t>(days);
}

// "HH:MM:SS.mmm" for a TOD of `milliseconds` since midnight.
std::string format_time_of_day(std::int64_t milliseconds) {
  std::string ms = std::to_string(milliseconds % 1000);
  while (ms.size() < 3) ms.insert(0, "0");
  const auto seconds = static_cast<unsigned>(milliseconds / 1000);
  return two_digits(seconds / 3600) + ":" + two_digits(seconds / 60 % 60) + ":" + two_digits(seconds % 60) + "." + ms;
}

// "HH:MM:SS" and an optional fraction of at most `max_fraction_digits` digits, at text[at].
// Returns the time of day in units of 10^-max_fraction_digits seconds.
std::optional<std::int64_t> parse_clock_text(std::string_view text, std::size_t at, std::size_t max_fraction_digits) {
  if (text.size() < at + 8 || text[at + 2] != ':' || text[at + 5] != ':') return std::nullopt;
  auto hour = fixed_digits(text, at, 2), minute = fixed_digits(text, at + 3, 2), second = fixed_digits(text, at + 6, 2);
  if (!hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  std::int64_t scale = 1;
  for (std::size_t i = 0; i < max_fraction_digits; ++i) scale *= 10;
  std::int64_t value = ((std::int64_t{*hour} * 60 + *minute) * 60 + *second) * scale;
  if (text.size() > at + 8) {
    const std::size_t digits = text.size() - at - 9;
    if (text[at + 8] != '.' || digits < 1 || digits > max_fraction_digits) return std::nullopt;
    auto fraction = fixed_digits(text, at + 9, digits);
    if (!fraction) return std::nullopt;
    std::int64_t fraction_scale = 1;
    for (std::size_t i = digits; i < max_fraction_digits; ++i) fraction_scale *= 10;
    value += std::int64_t{*fraction} * fraction_scale;
  }
  return value;
}

struct Dtl {
  chrono::year_month_day date;
  std::int64_t nanoseconds_of_day = 0;
};

// The fraction in 3, 6 or 9 digits, the fewest that hold it exactly.
std::string format_dtl(const Dtl& value) {
  const std::int64_t seconds = value.nanoseconds_of_day / kNanosecondsPerSecond;
  std::int64_t fraction = value.nanoseconds_of_day % kNanosecondsPerSecond;
  std::size_t digits = 9;
  while (digits > 3 && fraction % 1000 == 0) {
    fraction /= 1000;
    digits -= 3;
  }
  std::string fraction_text = std::to_string(fraction);
  while (fraction_text.size() < digits) fraction_text.insert(0, "0");
  const auto s = static_cast<unsigned>(seconds);
  return format_date(value.date) + "T" + two_digits(s / 3600) + ":" + two_digits(s / 60 % 60) + ":" +
         two_digits(s % 60) + "." + fraction_text;
}

// "YYYY-MM-DD" + ('T' | '-') + "HH:MM:SS" + an optional fraction of up to 9 digits.
std::optional<Dtl> parse_dtl_text(std::string_view text) {
  if (text.size() < 19 || (text[10] != 'T' && text[10] != 't' && text[10] != '-')) return std::nullopt;
  auto date = parse_date_text(text.substr(0, 10));
  auto clock = parse_clock_text(text, 11, 9);
  if (!date || !clock) return std::nullopt;
  return Dtl{*date, *clock};
}

// ---- decode ----

TextResult<Value> decode_time_of_day(const Address& address, std::span<const std::uint8_t> b) {
  const std::uint32_t milliseconds = be32(b);
  if (milliseconds >= kMillisecondsPerDay)
    return TextError{prefix(address) + "the PLC's TOD holds " + std::to_string(milliseconds) +
                     " ms, more than a day (0..86399999 ms since midnight)"};
  return Value{format_time_of_day(milliseconds)};
}

TextResult<Value> decode_dtl(const Address& address, std::span<const std::uint8_t> b) {
  auto invalid = [&](std::string_view field, std::uint64_t got, std::string_view range) -> TextResult<Value> {
    return TextError{prefix(address) + "the PLC's DTL has an invalid " + std::string(field) + " " +
                     std::to_string(got) + " (expected " + std::string(range) + ")"};
  };
  const int year = be16(b);
  if (year < kDtlFirstYear || year > kDtlLastYear)
    return invalid("year", static_cast<std::uint64_t>(year), "1970..2554");
  if (b[2] < 1 || b[2] > 12) return invalid("month", b[2], "1..12");
  const chrono::year_month_day date{chrono::year{year}, chrono::month{b[2]}, chrono::day{b[3]}};
  if (!date.ok()) return invalid("day", b[3], "a day of the month");
  // b[4] is the weekday, which the date already determines; like the CPU's own value entry,
  // it is not checked.
  if (b[5] > 23) return invalid("hour", b[5], "0..23");
  if (b[6] > 59) return invalid("minute", b[6], "0..59");
  if (b[7] > 59) return invalid("second", b[7], "0..59");
  const std::uint32_t nanoseconds = be32(b.subspan(8, 4));
  if (nanoseconds >= kNanosecondsPerSecond) return invalid("nanosecond", nanoseconds, "0..999999999");
  const std::int64_t seconds = (std::int64_t{b[5]} * 60 + b[6]) * 60 + b[7];
  return Value{format_dtl({date, seconds * kNanosecondsPerSecond + nanoseconds})};
}

TextResult<Value> decode_wstring(const Address& address, std::span<const std::uint8_t> b) {
  const std::uint16_t maximum = be16(b), current = be16(b.subspan(2, 2));
  if (current > maximum)
    return TextError{prefix(address) + "the PLC's WSTRING has current length " + std::to_string(current) +
                     " above its maximum length " + std::to_string(maximum) + "; is this address really a WSTRING?"};
  if (current > address.string_length)
    return TextError{prefix(address) + "the PLC's WSTRING is " + std::to_string(current) +
                     " characters long, more than the " + std::to_string(address.string_length) +
                     " configured; declare the tag as WSTRING[" + std::to_string(maximum) + "]"};
  auto text = utf16_to_utf8(b.subspan(4), current);
  if (!text) return TextError{prefix(address) + "the PLC's WSTRING: " + text.error()};
  return Value{std::move(*text)};
}

TextResult<Value> decode_wchar(const Address& address, std::span<const std::uint8_t> b) {
  auto text = utf16_to_utf8(b, 1);
  if (!text) return TextError{prefix(address) + "the PLC's WCHAR: " + text.error()};
  return Value{std::move(*text)};
}

TextResult<Value> decode_date_and_time(const Address& address, std::span<const std::uint8_t> b) {
  auto invalid = [&](std::string_view field, std::uint8_t byte) -> TextResult<Value> {
    return TextError{prefix(address) + "the PLC's DATE_AND_TIME has an invalid " + std::string(field) + " (byte " +
                     hex_byte(byte) + "): expected BCD digits of a valid date and time"};
  };
  auto year = bcd_byte(b[0]);
  if (!year) return invalid("year", b[0]);
  auto month = bcd_byte(b[1]);
  if (!month || *month < 1 || *month > 12) return invalid("month", b[1]);
  auto day = bcd_byte(b[2]);
  if (!day) return invalid("day", b[2]);
  const chrono::year_month_day date{chrono::year{*year >= 90 ? 1900 + *year : 2000 + *year},
                                    chrono::month{static_cast<unsigned>(*month)},
                                    chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return invalid("day", b[2]);
  auto hour = bcd_byte(b[3]);
  if (!hour || *hour > 23) return invalid("hour", b[3]);
  auto minute = bcd_byte(b[4]);
  if (!minute || *minute > 59) return invalid("minute", b[4]);
  auto second = bcd_byte(b[5]);
  if (!second || *second > 59) return invalid("second", b[5]);
  // Milliseconds: two digits in byte 6, the third in the high nibble of byte 7 (its low nibble
  // is the weekday, which the date already determines and is therefore not checked).
  auto ms_high = bcd_byte(b[6]);
  if (!ms_high || (b[7] >> 4) > 9) return invalid("millisecond", ms_high ? b[7] : b[6]);
  return Value{format_date_and_time({date, *hour, *minute, *second, *ms_high * 10 + (b[7] >> 4)})};
}

TextResult<Value> decode_string(const Address& address, std::span<const std::uint8_t> b) {
  const std::uint8_t maximum = b[0], current = b[1];
  if (current > maximum)
    return TextError{prefix(address) + "the PLC's string has current length " + std::to_string(current) +
                     " above its maximum length " + std::to_string(maximum) + "; is this address really a STRING?"};
  if (current > address.string_length)
    return TextError{prefix(address) + "the PLC's string is " + std::to_string(current) +
                     " characters long, more than the " + std::to_string(address.string_length) +
                     " configured; declare the tag as STRING[" + std::to_string(maximum) + "]"};
  return Value{latin1_to_utf8(b.subspan(2, current))};
}

// ---- encode ----

TextResult<std::vector<std::uint8_t>> encode_text(const Address& address, const Value& value) {
  const auto* text = std::get_if<std::string>(&value);
  if (!text) return TextError{prefix(address) + "expected text, got " + describe_value(value)};
  auto bytes = utf8_to_latin1(*text);
  if (!bytes) return TextError{prefix(address) + bytes.error()};
  std::vector<std::uint8_t> out;
  if (address.type == DataType::Char) {
    if (bytes->size() != 1)
      return TextError{prefix(address) + "a CHAR holds exactly one character, got " + std::to_string(bytes->size())};
    out.push_back(static_cast<std::uint8_t>((*bytes)[0]));
    return out;
  }
  if (bytes->size() > address.string_length)
    return TextError{prefix(address) + "the text has " + std::to_string(bytes->size()) + " characters, more than the " +
                     std::to_string(address.string_length) + " the STRING holds"};
  out.reserve(address.size());
  out.push_back(static_cast<std::uint8_t>(address.string_length));
  out.push_back(static_cast<std::uint8_t>(bytes->size()));
  out.insert(out.end(), bytes->begin(), bytes->end());
  out.resize(address.size(), 0);  // unused characters are zero, so stale text does not linger
  return out;
}

// WCHAR: exactly one UTF-16 code unit; WSTRING[n]: the header words n and the length, then
// the code units, zero-filled to n.
TextResult<std::vector<std::uint8_t>> encode_wide_text(const Address& address, const Value& value) {
  const auto* text = std::get_if<std::string>(&value);
  if (!text) return TextError{prefix(address) + "expected text, got " + describe_value(value)};
  auto units = utf8_to_utf16(*text);
  if (!units) return TextError{prefix(address) + units.error()};
  std::vector<std::uint8_t> out;
  if (address.type == DataType::WChar) {
    if (units->size() != 1)
      return TextError{prefix(address) + "a WCHAR holds exactly one UTF-16 character (U+0000..U+FFFF), got " +
                       std::to_string(units->size()) + " code units"};
    put_be(out, units->front(), 2);
    return out;
  }
  if (units->size() > address.string_length)
    return TextError{prefix(address) + "the text has " + std::to_string(units->size()) +
                     " UTF-16 code units, more than the " + std::to_string(address.string_length) +
                     " the WSTRING holds"};
  out.reserve(address.size());
  put_be(out, address.string_length, 2);
  put_be(out, units->size(), 2);
  for (std::uint16_t unit : *units) put_be(out, unit, 2);
  out.resize(address.size(), 0);  // unused characters are zero, so stale text does not linger
  return out;
}

TextResult<std::vector<std::uint8_t>> encode_time_of_day(const Address& address, const Value& value) {
  const auto* text = std::get_if<std::string>(&value);
  auto milliseconds = text ? parse_clock_text(*text, 0, 3) : std::nullopt;
  if (!milliseconds)
    return TextError{prefix(address) + "expected a time of day HH:MM:SS.mmm, got " + describe_value(value)};
  std::vector<std::uint8_t> out;
  put_be(out, static_cast<std::uint64_t>(*milliseconds), 4);
  return out;
}

TextResult<std::vector<std::uint8_t>> encode_dtl(const Address& address, const Value& value) {
  const auto* text = std::get_if<std::string>(&value);
  auto moment = text ? parse_dtl_text(*text) : std::nullopt;
  if (!moment)
    return TextError{prefix(address) + "expected a date and time YYYY-MM-DDTHH:MM:SS.nnnnnnnnn, got " +
                     describe_value(value)};
  const int year = static_cast<int>(moment->date.year());
  if (year < kDtlFirstYear || year > kDtlLastYear)
    return TextError{prefix(address) + "the year " + std::to_string(year) + " is outside the DTL range 1970..2554"};
  const std::int64_t seconds = moment->nanoseconds_of_day / kNanosecondsPerSecond;
  // Siemens numbers the weekday 1 = Sunday .. 7 = Saturday; C's encoding is 0 = Sunday.
  const unsigned weekday = chrono::weekday{chrono::sys_days{moment->date}}.c_encoding() + 1;
  std::vector<std::uint8_t> out;
  put_be(out, static_cast<std::uint64_t>(year), 2);
  out.push_back(static_cast<std::uint8_t>(static_cast<unsigned>(moment->date.month())));
  out.push_back(static_cast<std::uint8_t>(static_cast<unsigned>(moment->date.day())));
  out.push_back(static_cast<std::uint8_t>(weekday));
  out.push_back(static_cast<std::uint8_t>(seconds / 3600));
  out.push_back(static_cast<std::uint8_t>(seconds / 60 % 60));
  out.push_back(static_cast<std::uint8_t>(seconds % 60));
  put_be(out, static_cast<std::uint64_t>(moment->nanoseconds_of_day % kNanosecondsPerSecond), 4);
  return out;
}

TextResult<std::vector<std::uint8_t>> encode_real(const Address& address, const Value& value) {
  double number = 0;
  if (const auto* d = std::get_if<double>(&value)) {
    number = *d;
  } else if (auto integer = integer_of(value); integer && !std::holds_alternative<bool>(value)) {
    number = integer->negative ? -static_cast<double>(integer->magnitude) : static_cast<double>(integer->magnitude);
  } else {
    return TextError{prefix(address) + "expected a number, got " + describe_value(value)};
  }
  std::vector<std::uint8_t> out;
  if (address.type == DataType::LReal) {
    put_be(out, std::bit_cast<std::uint64_t>(number), 8);
    return out;
  }
  if (std::isfinite(number) && !collect::fits_real32(number))
    return TextError{prefix(address) + describe_value(value) +
                     " is outside the REAL range (about +-3.4e38); use LREAL"};
  put_be(out, std::bit_cast<std::uint32_t>(static_cast<float>(number)), 4);
  return out;
}

TextResult<std::vector<std::uint8_t>> encode_date(const Address& address, const Value& value) {
  const auto* text = std::get_if<std::string>(&value);
  auto date = text ? parse_date_text(*text) : std::nullopt;
  if (!date) return TextError{prefix(address) + "expected a date YYYY-MM-DD, got " + describe_value(value)};
  auto days = days_since_epoch(address, *date);
  if (!days) return TextError{days.error()};
  std::vector<std::uint8_t> out;
  put_be(out, static_cast<std::uint64_t>(*days), 2);
  return out;
}

TextResult<std::vector<std::uint8_t>> encode_date_and_time(const Address& address, const Value& value) {
  const auto* text = std::get_if<std::string>(&value);
  auto moment = text ? parse_date_and_time_text(*text) : std::nullopt;
  if (!moment)
    return TextError{prefix(address) + "expected a date and time YYYY-MM-DDTHH:MM:SS.mmm, got " +
                     describe_value(value)};
  const int year = static_cast<int>(moment->date.year());
  if (year < kDateAndTimeFirstYear || year > kDateAndTimeLastYear)
    return TextError{prefix(address) + "the year " + std::to_string(year) +
                     " is outside the DATE_AND_TIME range 1990..2089"};
  // Siemens numbers the weekday 1 = Sunday .. 7 = Saturday; C's encoding is 0 = Sunday.
  const unsigned weekday = chrono::weekday{chrono::sys_days{moment->date}}.c_encoding() + 1;
  std::vector<std::uint8_t> out{
      to_bcd_byte(year % 100),
      to_bcd_byte(static_cast<int>(static_cast<unsigned>(moment->date.month()))),
      to_bcd_byte(static_cast<int>(static_cast<unsigned>(moment->date.day()))),
      to_bcd_byte(moment->hour),
      to_bcd_byte(moment->minute),
      to_bcd_byte(moment->second),
      to_bcd_byte(moment->millisecond / 10),
      static_cast<std::uint8_t>(((moment->millisecond % 10) << 4) | weekday),
  };
  return out;
}

// ---- value text ----

std::string_view trimmed(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

char upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

// Removes a case-insensitive IEC prefix such as "T#" or "TIME#"; true when one was there.
bool strip_prefix(std::string_view& text, std::initializer_list<std::string_view> prefixes) noexcept {
  for (std::string_view candidate : prefixes) {
    if (text.size() < candidate.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < candidate.size() && same; ++i) same = upper(text[i]) == candidate[i];
    if (same) {
      text.remove_prefix(candidate.size());
      return true;
    }
  }
  return false;
}

using DurationUnit = std::pair<std::string_view, std::int64_t>;
// TIME and S5TIME count milliseconds; LTIME nanoseconds and takes us and ns as well.
constexpr std::array<DurationUnit, 5> kMillisecondUnits{
    {{"D", 86400000}, {"H", 3600000}, {"M", 60000}, {"S", 1000}, {"MS", 1}}};
constexpr std::array<DurationUnit, 7> kNanosecondUnits{{{"D", 86400000000000},
                                                        {"H", 3600000000000},
                                                        {"M", 60000000000},
                                                        {"S", 1000000000},
                                                        {"MS", 1000000},
                                                        {"US", 1000},
                                                        {"NS", 1}}};
constexpr std::int64_t kMillisecondLimit = std::int64_t{1} << 50;  // far above any S7 duration, far below overflow
constexpr std::int64_t kNanosecondLimit = std::numeric_limits<std::int64_t>::max();

// An IEC duration without its prefix: [-] then components such as 1d, 2h, 3m, 4s, 5ms (and
// 6us, 7ns in nanoseconds) in the order of `units`, each at most once, optionally separated by
// '_'. In the smallest unit of `units`, at most `limit` in magnitude.
std::optional<std::int64_t> parse_duration_text(std::string_view text, std::span<const DurationUnit> units,
                                                std::int64_t limit) {
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  const std::span<const DurationUnit> kUnits = units;
  const std::int64_t kLimit = limit;
  std::int64_t total = 0;
  std::size_t next_unit = 0;
  bool any = false;
  while (!text.empty()) {
    if (any && text.front() == '_') text.remove_prefix(1);
    std::int64_t amount = 0;
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
      const int digit = text[digits] - '0';
      if (amount > (kLimit - digit) / 10) return std::nullopt;  // before it could overflow
      amount = amount * 10 + digit;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    text.remove_prefix(digits);
    std::size_t letters = 0;
    while (letters < text.size() && ((upper(text[letters]) >= 'A' && upper(text[letters]) <= 'Z'))) ++letters;
    std::string unit;
    for (std::size_t i = 0; i < letters; ++i) unit += upper(text[i]);
    text.remove_prefix(letters);
    std::size_t index = next_unit;
    while (index < kUnits.size() && kUnits[index].first != unit) ++index;
    if (index == kUnits.size()) return std::nullopt;  // unknown unit, or out of order
    // Checked before multiplying: 2^50 days overflow 64 bits and would wrap to a plausible duration.
    if (amount > (kLimit - total) / kUnits[index].second) return std::nullopt;
    total += amount * kUnits[index].second;
    next_unit = index + 1;
    any = true;
  }
  if (!any) return std::nullopt;
  return negative ? -total : total;
}

// Milliseconds as a plain integer or as an IEC duration after one of `prefixes` (optional).
TextResult<std::int64_t> parse_milliseconds(const Address& address, std::string_view text,
                                            std::initializer_list<std::string_view> prefixes,
                                            std::string_view example) {
  const bool had_prefix = strip_prefix(text, prefixes);
  if (!had_prefix) {
    if (auto number = collect::parse_integer_literal(text); number && number->magnitude <= (std::uint64_t{1} << 50))
      return signed_of(*number);
  }
  if (auto duration = parse_duration_text(text, kMillisecondUnits, kMillisecondLimit)) return *duration;
  return TextError{prefix(address) + "expected a duration such as " + std::string(example) + " or milliseconds"};
}

// LTIME: nanoseconds as a plain integer or as LTIME#/LT# 1d2h3m4s5ms6us7ns.
TextResult<std::int64_t> parse_nanoseconds(const Address& address, std::string_view text) {
  const bool had_prefix = strip_prefix(text, {"LTIME#", "LT#"});
  if (!had_prefix) {
    if (auto number = collect::parse_integer_literal(text);
        number && in_range(*number, IntegerRange{std::numeric_limits<std::int64_t>::min(),
                                                 static_cast<std::uint64_t>(kNanosecondLimit)}))
      return signed_of(*number);
  }
  if (auto duration = parse_duration_text(text, kNanosecondUnits, kNanosecondLimit)) return *duration;
  return TextError{prefix(address) +
                   "expected a duration such as LTIME#1h2m3s4ms5us6ns or nanoseconds (about +-106751 days)"};
}

// A quoted IEC string literal 'it$'s' ($$ $' $L $N $R $T $P $hh), or the text as it is.
TextResult<std::string> parse_string_text(std::string_view text) {
  if (text.size() < 2 || text.front() != '\'' || text.back() != '\'')
    return TextResult<std::string>(boost::system::in_place_value, text);
  text = text.substr(1, text.size() - 2);
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\'') return TextError{std::string("a quote inside a quoted text must be written $'")};
    if (text[i] != '$') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) return TextError{std::string("a '$' at the end of a quoted text must be written $$")};
    switch (upper(text[i])) {
      case '$': out += '$'; break;
      case '\'': out += '\''; break;
      case 'L':
      case 'N': out += '\n'; break;
      case 'R': out += '\r'; break;
      case 'T': out += '\t'; break;
      case 'P': out += '\f'; break;
      default: {
        auto code = collect::parse_integer_literal("16#" + std::string(text.substr(i, 2)));
        if (i + 1 >= text.size() || !code)
          return TextError{std::string("unknown escape after '$': use $$, $', $L, $N, $R, $T, $P or two hex digits")};
        const std::uint8_t byte = static_cast<std::uint8_t>(code->magnitude);
        out += latin1_to_utf8(std::span<const std::uint8_t>(&byte, 1));
        ++i;
      }
    }
  }
  return TextResult<std::string>(boost::system::in_place_value, std::move(out));
}

TextResult<Value> decode_text(const Address& address, std::span<const std::uint8_t> bytes) {
  if (bytes.size() != address.size())
    return TextError{prefix(address) + "expected " + std::to_string(address.size()) + " bytes from the PLC, got " +
                     std::to_string(bytes.size())};
  if (address.is_array()) {
    // Each element as on its own; a BOOL element is a bit of the byte that holds it.
    Array elements;
    elements.reserve(address.array_length);
    const std::size_t element_size = address.element_size();
    for (std::size_t i = 0; i < address.array_length; ++i) {
      const Address element = address.element(i);
      const std::span<const std::uint8_t> part = address.type == DataType::Bool
                                                     ? bytes.subspan((std::size_t{address.bit} + i) / 8, 1)
                                                     : bytes.subspan(i * element_size, element_size);
      auto value = decode_text(element, part);
      if (!value) return TextError{prefix(address) + "element " + std::to_string(i) + ": " + value.error()};
      elements.push_back(*collect::to_element(std::move(*value)));
    }
    return Value{std::move(elements)};
  }
  switch (address.type) {
    case DataType::Bool: return Value{((bytes[0] >> (address.bit & 7)) & 1) != 0};
    case DataType::Byte:
    case DataType::USInt: return Value{std::uint64_t{bytes[0]}};
    case DataType::SInt: return Value{std::int64_t{static_cast<std::int8_t>(bytes[0])}};
    case DataType::LInt:
    case DataType::LTime: return Value{static_cast<std::int64_t>(be64(bytes))};
    case DataType::ULInt:
    case DataType::LWord: return Value{be64(bytes)};
    case DataType::WChar: return decode_wchar(address, bytes);
    case DataType::WString: return decode_wstring(address, bytes);
    case DataType::TimeOfDay: return decode_time_of_day(address, bytes);
    case DataType::Dtl: return decode_dtl(address, bytes);
    case DataType::Word:
    case DataType::UInt: return Value{std::uint64_t{be16(bytes)}};
    case DataType::DWord:
    case DataType::UDInt: return Value{std::uint64_t{be32(bytes)}};
    case DataType::Int: return Value{std::int64_t{static_cast<std::int16_t>(be16(bytes))}};
    case DataType::DInt:
    case DataType::Time: return Value{std::int64_t{static_cast<std::int32_t>(be32(bytes))}};
    case DataType::Real: return Value{collect::widen_real(std::bit_cast<float>(be32(bytes)))};
    case DataType::LReal: return Value{std::bit_cast<double>(be64(bytes))};
    case DataType::S5Time: {
      const std::uint16_t word = be16(bytes);
      auto digits = bcd_three_digits(word);
      if (!digits)
        return TextError{prefix(address) + "the PLC's S5TIME " + hex_byte(bytes[0]) + " " + hex_byte(bytes[1]) +
                         " is not valid BCD (three digits 0..9 after the time base)"};
      return Value{std::int64_t{*digits} * kS5TimeBaseMs[(word >> 12) & 0x3]};
    }
    case DataType::Date: {
      const chrono::year_month_day date{kDateEpoch + chrono::days{be16(bytes)}};
      return Value{format_date(date)};
    }
    case DataType::DateAndTime: return decode_date_and_time(address, bytes);
    case DataType::String: return decode_string(address, bytes);
    case DataType::Char: return Value{latin1_to_utf8(bytes)};
    case DataType::Counter: {
      const std::uint16_t word = be16(bytes);
      auto count = bcd_three_digits(word);
      if (!count || (word >> 12) != 0)
        return TextError{prefix(address) + "the PLC's counter value " + hex_byte(bytes[0]) + " " + hex_byte(bytes[1]) +
                         " is not a BCD count 0..999"};
      return Value{std::uint64_t(*count)};
    }
  }
  return TextError{prefix(address) + "unknown data type"};
}

TextResult<std::vector<std::uint8_t>> encode_bytes(const Address& address, const Value& value) {
  std::vector<std::uint8_t> out;
  if (address.is_array())
    return TextError{prefix(address) +
                     "writing an array tag is not supported yet; write its elements through tags of "
                     "their own (element i of a 4-byte type at the array's offset + 4 * i)"};
  switch (address.type) {
    case DataType::Bool: {
      auto number = integer_of(value);
      if (!number || number->negative || number->magnitude > 1)
        return TextError{prefix(address) + "expected TRUE or FALSE (1 or 0), got " + describe_value(value)};
      out.push_back(static_cast<std::uint8_t>(number->magnitude));
      return out;
    }
    case DataType::Byte:
    case DataType::Word:
    case DataType::UInt:
    case DataType::DWord:
    case DataType::UDInt:
    case DataType::Int:
    case DataType::DInt:
    case DataType::Time:
    case DataType::SInt:
    case DataType::USInt:
    case DataType::LInt:
    case DataType::ULInt:
    case DataType::LWord:
    case DataType::LTime: {
      auto number = checked_integer(address, value);
      if (!number) return TextError{number.error()};
      // Two's complement of the signed types is the same bits as the unsigned wrap-around.
      const auto bits = number->negative ? ~number->magnitude + 1 : number->magnitude;
      put_be(out, bits, address.size());
      return out;
    }
    case DataType::Real:
    case DataType::LReal: return encode_real(address, value);
    case DataType::S5Time: {
      auto number = checked_integer(address, value);
      if (!number) return TextError{number.error()};
      auto word = s5time_word(address, signed_of(*number));
      if (!word) return TextError{word.error()};
      put_be(out, *word, 2);
      return out;
    }
    case DataType::Date: return encode_date(address, value);
    case DataType::DateAndTime: return encode_date_and_time(address, value);
    case DataType::String:
    case DataType::Char: return encode_text(address, value);
    case DataType::WString:
    case DataType::WChar: return encode_wide_text(address, value);
    case DataType::TimeOfDay: return encode_time_of_day(address, value);
    case DataType::Dtl: return encode_dtl(address, value);
    case DataType::Counter: {
      auto number = checked_integer(address, value);
      if (!number) return TextError{number.error()};
      put_be(out, to_bcd_three_digits(static_cast<int>(number->magnitude)), 2);
      return out;
    }
  }
  return TextError{prefix(address) + "unknown data type"};
}

}  // namespace

Result<collect::Value> decode_value(const Address& address, std::span<const std::uint8_t> bytes) {
  auto value = decode_text(address, bytes);
  if (!value) return fail(ErrorCode::bad_value, value.error());
  return std::move(*value);
}

Result<std::vector<std::uint8_t>> encode_value(const Address& address, const collect::Value& value) {
  auto bytes = encode_bytes(address, value);
  if (!bytes) return fail(address.is_array() ? ErrorCode::not_supported : ErrorCode::value_unfit, bytes.error());
  return std::move(*bytes);
}

collect::Result<collect::Value> parse_value_text(const Address& address, std::string_view text) {
  using ErrorCode = collect::ErrorCode;
  const std::string_view raw = text;
  if (address.is_array())
    return fail(ErrorCode::not_supported, prefix(address) +
                                              "writing an array tag is not supported yet; write its elements through "
                                              "tags of their own (element i of a 4-byte type at the array's offset + "
                                              "4 * i)");
  const bool text_type = address.type == DataType::String || address.type == DataType::Char ||
                         address.type == DataType::WString || address.type == DataType::WChar;
  if (!text_type) text = trimmed(text);
  switch (address.type) {
    case DataType::Bool: {
      auto value = collect::parse_bool_literal(text);
      if (!value) return fail(value.error().code, prefix(address) + "expected TRUE, FALSE, 1 or 0");
      return Value{*value};
    }
    case DataType::Byte:
    case DataType::Word:
    case DataType::UInt:
    case DataType::DWord:
    case DataType::UDInt:
    case DataType::Int:
    case DataType::DInt:
    case DataType::SInt:
    case DataType::USInt:
    case DataType::LInt:
    case DataType::ULInt:
    case DataType::LWord:
    case DataType::Counter: {
      if (address.type == DataType::Counter) strip_prefix(text, {"C#"});
      auto number = collect::parse_integer_literal(text);
      const IntegerRange range = *integer_range(address);
      if (!number)
        return fail(number.error().code, prefix(address) + "expected an integer " + range_text(range) +
                                             " (decimal, or 16#FF, 8#17, 2#1010)");
      if (!in_range(*number, range))
        return fail(ErrorCode::out_of_range, prefix(address) + to_text(*number) + " is outside the range of " +
                                                 std::string(type_name(address.type)) + " (" + range_text(range) + ")");
      if (range.minimum < 0) return Value{signed_of(*number)};
      return Value{number->magnitude};
    }
    case DataType::Real:
    case DataType::LReal: {
      auto number = collect::parse_real_literal(text);
      if (!number)
        return fail(number.error().code, prefix(address) + "expected a decimal number such as 21.5 or -1.5e3");
      if (address.type == DataType::Real && !collect::fits_real32(*number))
        return fail(ErrorCode::out_of_range,
                    prefix(address) + std::string(text) + " is outside the REAL range (about +-3.4e38); use LREAL");
      return Value{*number};
    }
    case DataType::S5Time: {
      auto milliseconds = parse_milliseconds(address, text, {"S5TIME#", "S5T#"}, "S5T#10s");
      if (!milliseconds) return fail(ErrorCode::not_a_number, milliseconds.error());
      auto word = s5time_word(address, *milliseconds);
      if (!word)
        return fail(
            *milliseconds < 0 || *milliseconds > kS5TimeMaxMs ? ErrorCode::out_of_range : ErrorCode::not_representable,
            word.error());
      return Value{*milliseconds};
    }
    case DataType::Time: {
      auto milliseconds = parse_milliseconds(address, text, {"TIME#", "T#"}, "T#1h2m3s4ms");
      if (!milliseconds) return fail(ErrorCode::not_a_number, milliseconds.error());
      if (*milliseconds < std::numeric_limits<std::int32_t>::min() ||
          *milliseconds > std::numeric_limits<std::int32_t>::max())
        return fail(ErrorCode::out_of_range,
                    prefix(address) + std::to_string(*milliseconds) +
                        " ms is outside the TIME range -2147483648..2147483647 ms (about +-24 days 20 hours)");
      return Value{*milliseconds};
    }
    case DataType::Date: {
      strip_prefix(text, {"DATE#", "D#"});
      auto date = parse_date_text(text);
      if (!date) return fail(ErrorCode::not_a_number, prefix(address) + "expected a date such as D#2026-11-27");
      auto days = days_since_epoch(address, *date);
      if (!days) return fail(ErrorCode::out_of_range, days.error());
      return Value{format_date(*date)};
    }
    case DataType::DateAndTime: {
      strip_prefix(text, {"DATE_AND_TIME#", "DT#"});
      auto moment = parse_date_and_time_text(text);
      if (!moment)
        return fail(ErrorCode::not_a_number,
                    prefix(address) + "expected a date and time such as DT#2026-11-27-08:15:00.250");
      const int year = static_cast<int>(moment->date.year());
      if (year < kDateAndTimeFirstYear || year > kDateAndTimeLastYear)
        return fail(ErrorCode::out_of_range, prefix(address) + "the year " + std::to_string(year) +
                                                 " is outside the DATE_AND_TIME range 1990..2089");
      return Value{format_date_and_time(*moment)};
    }
    case DataType::LTime: {
      auto nanoseconds = parse_nanoseconds(address, text);
      if (!nanoseconds) return fail(ErrorCode::not_a_number, nanoseconds.error());
      return Value{*nanoseconds};
    }
    case DataType::TimeOfDay: {
      strip_prefix(text, {"TIME_OF_DAY#", "TOD#"});
      auto milliseconds = parse_clock_text(text, 0, 3);
      if (!milliseconds)
        return fail(ErrorCode::not_a_number, prefix(address) + "expected a time of day such as TOD#12:30:00.000");
      return Value{format_time_of_day(*milliseconds)};
    }
    case DataType::Dtl: {
      strip_prefix(text, {"DTL#"});
      auto moment = parse_dtl_text(text);
      if (!moment)
        return fail(ErrorCode::not_a_number,
                    prefix(address) + "expected a date and time such as DTL#2026-11-27-08:15:00.123456789");
      const int year = static_cast<int>(moment->date.year());
      if (year < kDtlFirstYear || year > kDtlLastYear)
        return fail(ErrorCode::out_of_range,
                    prefix(address) + "the year " + std::to_string(year) + " is outside the DTL range 1970..2554");
      return Value{format_dtl(*moment)};
    }
    case DataType::String:
    case DataType::Char:
    case DataType::WString:
    case DataType::WChar: {
      // WSTRING/WCHAR literals are WSTRING#'text' / WCHAR#'c' in TIA Portal.
      std::string_view literal = raw;
      if (address.type == DataType::WString) strip_prefix(literal, {"WSTRING#"});
      if (address.type == DataType::WChar) strip_prefix(literal, {"WCHAR#"});
      auto unquoted = parse_string_text(literal);
      if (!unquoted) return fail(ErrorCode::not_a_number, prefix(address) + unquoted.error());
      // The text must fit: encode_value applies the type's limits (Latin-1 or UTF-16, length).
      auto encoded = encode_value(address, Value{*unquoted});
      if (!encoded) return fail(ErrorCode::not_representable, std::move(encoded.error().message));
      return Value{*unquoted};
    }
  }
  return fail(ErrorCode::not_supported, prefix(address) + "unknown data type");
}

}  // namespace logbot::agent::s7
