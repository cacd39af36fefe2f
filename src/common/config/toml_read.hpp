// Reading a TOML configuration file (toml++) the same way in the agent and the cloud: every
// problem names FILE:LINE:COLUMN, and an unknown key is an error, so that a typo never falls
// back silently to a default. Included only by the two configuration readers (toml++ is heavy).
#pragma once
#include <toml++/toml.h>

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "common/config/config_error.hpp"

namespace logbot::config {

// "FILE:LINE:COLUMN" of a place in the text named `source`.
std::string where(std::string_view source, const toml::source_region& region);

// Throws ConfigError at the first key of `table` that is not in `known`:
// "FILE:L:C: unknown setting 'SECTIONkey' (see REFERENCE)"; `section` is "" or "name.".
void reject_unknown(const toml::table& table, std::initializer_list<std::string_view> known, std::string_view source,
                    std::string_view section, std::string_view reference);

// The table `name` inside `table`, nullptr when absent; throws ConfigError when it is no table.
const toml::table* section(const toml::table& table, std::string_view name, std::string_view source);

// A duration string (common/config/duration.hpp) at `key`, nullopt when absent; throws
// ConfigError naming `qualified` (e.g. "http.write_timeout") when it is no such string or
// lies outside [minimum, maximum].
std::optional<std::chrono::milliseconds> read_duration(const toml::table& table, std::string_view key,
                                                       std::string_view source, std::string_view qualified,
                                                       std::chrono::milliseconds minimum,
                                                       std::chrono::milliseconds maximum);

}  // namespace logbot::config
