// The one duration syntax of every configuration file (agent.toml, logbot-cloud.toml):
// one unsigned integer and one unit, "250ms", "5s", "2m", "1h" or "7d", nothing else.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace logbot::config {

// nullopt for anything but digits (at most 12) followed by one of ms, s, m, h, d.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest exact spelling in ms, s, m or h ("90s", "24h", "1500ms"); parse_duration reads it back.
std::string duration_text(std::chrono::milliseconds value);

}  // namespace logbot::config
