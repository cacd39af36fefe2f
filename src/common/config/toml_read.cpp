#include "common/config/toml_read.hpp"

#include <sstream>

#include "common/config/duration.hpp"

namespace logbot::config {

std::string where(std::string_view source, const toml::source_region& region) {
  std::ostringstream out;
  out << source << ":" << region.begin.line << ":" << region.begin.column;
  return out.str();
}

void reject_unknown(const toml::table& table, std::initializer_list<std::string_view> known, std::string_view source,
                    std::string_view section, std::string_view reference) {
  for (const auto& [key, node] : table) {
    bool ok = false;
    for (auto name : known) ok = ok || key.str() == name;
    if (!ok)
      throw ConfigError(where(source, key.source()) + ": unknown setting '" + std::string(section) +
                        std::string(key.str()) + "' (see " + std::string(reference) + ")");
  }
}

const toml::table* section(const toml::table& table, std::string_view name, std::string_view source) {
  const toml::node* node = table.get(name);
  if (node == nullptr) return nullptr;
  if (!node->is_table())
    throw ConfigError(where(source, node->source()) + ": '" + std::string(name) + "' must be a table ([" +
                      std::string(name) + "])");
  return node->as_table();
}

std::optional<std::chrono::milliseconds> read_duration(const toml::table& table, std::string_view key,
                                                       std::string_view source, std::string_view qualified,
                                                       std::chrono::milliseconds minimum,
                                                       std::chrono::milliseconds maximum) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::nullopt;
  const auto text = node->value<std::string>();
  const auto value = text ? parse_duration(*text) : std::nullopt;
  if (!value || *value < minimum || *value > maximum)
    throw ConfigError(where(source, node->source()) + ": '" + std::string(qualified) + "' must be a duration from " +
                      duration_text(minimum) + " to " + duration_text(maximum) +
                      " written with one unit, e.g. \"500ms\", \"5s\", \"2m\", \"1h\" or \"7d\"");
  return value;
}

}  // namespace logbot::config
