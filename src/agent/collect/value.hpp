// What a collector reads from a PLC: a typed value, its quality and the time of acquisition.
// Shared by the S7 and Modbus drivers, the poll scheduler and the commissioning commands.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace logbot::agent::collect {

// One element of an array tag: a value of one of Value's scalar kinds.
using Element = std::variant<bool, std::int64_t, std::uint64_t, double, std::string>;
// An array tag (S7 `type = "REAL[10]"`) read as one value: its elements in order.
using Array = std::vector<Element>;

// bool: BOOL; int64: signed integers, TIME/S5TIME (milliseconds), LTIME (nanoseconds); uint64:
// unsigned integers, BYTE/WORD/DWORD/LWORD, counters; double: REAL/LREAL/FLOAT and every scaled
// value; string: STRING, WSTRING, CHAR, WCHAR, DATE ("2026-11-27"), TOD ("12:30:00.000"),
// DATE_AND_TIME ("2026-11-27T08:15:00.250") and DTL ("2026-11-27T08:15:00.123456789"), the
// PLC's local time; Array: an array tag.
using Value = std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string, Array>;

// The element as a Value of the same kind, and a scalar Value as an element (nothing for
// monostate and Array).
Value to_value(const Element& element);
std::optional<Element> to_element(Value value);

enum class Quality : std::uint8_t { good, bad };

struct Reading {
  Value value;  // monostate when bad
  Quality quality = Quality::bad;
  std::string status;        // empty when good; else why, e.g. "PLC return code 0x0A (object does not exist)"
  std::int64_t time_ms = 0;  // acquisition time, UTC milliseconds since the epoch
};

// The value as the commissioning table prints it: booleans TRUE/FALSE, integers in decimal,
// reals in the shortest text that reads back as the same double ("21.5", "0.1", "1e+20"),
// strings quoted with '"', '\\' and control characters escaped, no value as "null", an array
// as its elements so written in brackets: [21.5, 22, -1].
std::string format_value(const Value& value);

// A 32-bit REAL/FLOAT32 as the double a person reads it as: the double nearest to the float's
// shortest round-trip text, so 63.38438f becomes 63.38438 (not 63.384380340576171875) in
// tables, JSON and the time series; converted back to float it is the same float again.
// NaN and infinities stay what they are.
double widen_real(float value) noexcept;

// Whether a number can be written as a 32-bit REAL/FLOAT32: finite, and rounding to a finite
// float. The edges are what widen_real gives for the largest floats (±3.4028235e+38, a little
// beyond FLT_MAX as a double), so every REAL a PLC sends can be written back as read.
bool fits_real32(double value) noexcept;

// Report-by-exception: true when `next` differs from `previous` by more than `deadband`
// (numbers, also across integer and real), or at all (other types), or the quality changed,
// or a bad reading's status changed (a new reason for the failure is news).
bool changed(const Reading& previous, const Reading& next, double deadband);

}  // namespace logbot::agent::collect
