// UTC timestamps in milliseconds and their ISO-8601 text form ("2026-11-27T20:39:01.123Z").
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace logbot {

std::string format_iso8601_ms(std::int64_t unix_ms);
// Accepts "YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+hh:mm|-hh:mm]" and "YYYY-MM-DD"; no zone means UTC.
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);

}  // namespace logbot
