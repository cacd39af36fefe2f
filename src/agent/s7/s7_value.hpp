// S7 values: PLC bytes (big-endian, BCD where the type says so) to collect::Value and back,
// and the commissioning CLI's value text to a Value. No I/O.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/collect/error.hpp"
#include "agent/collect/value.hpp"
#include "agent/s7/error.hpp"
#include "agent/s7/s7_address.hpp"

namespace logbot::agent::s7 {

// bytes.size() == address.size(). Errors (invalid BCD in S5TIME, DATE_AND_TIME, a counter;
// a STRING whose current length exceeds its maximum) are one sentence.
// Errors are ErrorCode::bad_value.
Result<collect::Value> decode_value(const Address& address, std::span<const std::uint8_t> bytes);
// The bytes to write (address.size() bytes; for Bool one byte 0x00/0x01, written with the
// bit transport size). Errors: value_unfit when the value does not fit the type, not_supported
// for an array tag.
Result<std::vector<std::uint8_t>> encode_value(const Address& address, const collect::Value& value);
// "TRUE"/"1", "-17", "3.5", "T#1h2m3s4ms" or milliseconds, "D#2026-11-27", "DT#2026-11-27-08:15:00.250",
// "'text'" or text for STRING/CHAR, "S5T#10s" or milliseconds.
// Integers also as 16#FF, 8#17, 2#1010_0101 (the IEC literals of collect/iec_literal.hpp,
// shared with Modbus; counters also C#5); durations take the units d, h, m,
// s, ms in this order (T#1d_2h, T#-5s); DT also "2026-11-27T08:15:00.250" (the decoded form);
// quoted texts take the IEC escapes $$ $' $L $N $R $T $P $hh. Range checks per type, and an
// S5TIME must be exactly representable (three digits in a 10 ms/100 ms/1 s/10 s base): the
// value is never rounded silently.
// Errors are collect::ErrorCode with the sentence the commissioning CLI prints.
collect::Result<collect::Value> parse_value_text(const Address& address, std::string_view text);

}  // namespace logbot::agent::s7
