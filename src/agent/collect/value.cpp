// Printing values for the commissioning table and the report-by-exception test.
#include "agent/collect/value.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace logbot::agent::collect {
namespace {

// Shortest text that reads back as the same double ("21.5", "0.1", "1e+20").
std::string format_double(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  std::array<char, 32> text{};
  auto [end, ec] = std::to_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{}) return "?";  // cannot happen: 32 bytes hold any shortest double
  return std::string(text.data(), end);
}

// Quoted, with quotes, backslashes and control characters escaped so a string from the PLC
// cannot break the table's layout or the terminal.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
          std::array<char, 8> escaped{};
          std::snprintf(escaped.data(), escaped.size(), "\\x%02X",
                        static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += escaped.data();
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// Numbers compare across the integer and real alternatives (a scaled tag turns an integer
// into a REAL); long double keeps every int64/uint64 distinct from its neighbours on x86-64.
bool as_number(const Value& value, long double& number) {
  if (const auto* i = std::get_if<std::int64_t>(&value))
    number = static_cast<long double>(*i);
  else if (const auto* u = std::get_if<std::uint64_t>(&value))
    number = static_cast<long double>(*u);
  else if (const auto* d = std::get_if<double>(&value))
    number = *d;
  else
    return false;
  return true;
}

// Element by element; NaN equals NaN here, so an array holding a NaN is not news every cycle.
bool same_array(const Array& before, const Array& after) {
  if (before.size() != after.size()) return false;
  for (std::size_t i = 0; i < before.size(); ++i) {
    const auto* x = std::get_if<double>(&before[i]);
    const auto* y = std::get_if<double>(&after[i]);
    if (x != nullptr && y != nullptr && std::isnan(*x) && std::isnan(*y)) continue;
    if (before[i] != after[i]) return false;
  }
  return true;
}

}  // namespace

Value to_value(const Element& element) {
  return std::visit([](const auto& v) { return Value{v}; }, element);
}

std::optional<Element> to_element(Value value) {
  struct Converter {
    std::optional<Element> operator()(std::monostate) const { return std::nullopt; }
    std::optional<Element> operator()(Array&) const { return std::nullopt; }
    std::optional<Element> operator()(bool v) const { return Element{v}; }
    std::optional<Element> operator()(std::int64_t v) const { return Element{v}; }
    std::optional<Element> operator()(std::uint64_t v) const { return Element{v}; }
    std::optional<Element> operator()(double v) const { return Element{v}; }
    std::optional<Element> operator()(std::string& v) const { return Element{std::move(v)}; }
  };
  return std::visit(Converter{}, value);
}

std::string format_value(const Value& value) {
  struct Printer {
    std::string operator()(std::monostate) const { return "null"; }
    std::string operator()(bool v) const { return v ? "TRUE" : "FALSE"; }
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(std::uint64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return format_double(v); }
    std::string operator()(const std::string& v) const { return quoted(v); }
    std::string operator()(const Array& v) const {
      std::string text = "[";
      for (const Element& element : v) {
        if (text.size() > 1) text += ", ";
        text += format_value(to_value(element));
      }
      return text + "]";
    }
  };
  return std::visit(Printer{}, value);
}

bool changed(const Reading& previous, const Reading& next, double deadband) {
  if (previous.quality != next.quality) return true;
  if (next.quality == Quality::bad) return previous.status != next.status;  // a new reason is news
  const auto* before_array = std::get_if<Array>(&previous.value);
  const auto* after_array = std::get_if<Array>(&next.value);
  if (before_array != nullptr && after_array != nullptr) return !same_array(*before_array, *after_array);
  long double before = 0, after = 0;
  if (as_number(previous.value, before) && as_number(next.value, after)) {
    const bool before_nan = std::isnan(before), after_nan = std::isnan(after);
    if (before_nan || after_nan) return before_nan != after_nan;
    if (deadband <= 0) return before != after;
    return std::fabs(after - before) > static_cast<long double>(deadband);
  }
  return previous.value != next.value;
}

bool fits_real32(double value) noexcept {
  // Halfway between FLT_MAX (0x1.fffffep+127) and 2^128: below it, rounding to the nearest
  // float gives at most FLT_MAX; at it, the tie goes to the even neighbour, infinity.
  constexpr double kFirstToInfinity = 0x1.ffffffp+127;
  return std::isfinite(value) && std::fabs(value) < kFirstToInfinity;
}

double widen_real(float value) noexcept {
  if (!std::isfinite(value)) return static_cast<double>(value);
  std::array<char, 32> text{};
  const auto written = std::to_chars(text.data(), text.data() + text.size(), value);
  double result = static_cast<double>(value);
  if (written.ec == std::errc()) std::from_chars(text.data(), written.ptr, result);
  return result;
}

}  // namespace logbot::agent::collect
