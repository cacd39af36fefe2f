#include "agent/config/agent_config.hpp"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <sstream>

#include "agent/uplink/uplink_url.hpp"
#include "common/config/duration.hpp"
#include "common/config/toml_read.hpp"

namespace logbot::agent {
namespace {

constexpr std::size_t kMaximumConfigBytes = 1024 * 1024;

// Thrown inside the parser only; parse_agent_config turns it into an error value.
struct ConfigProblem {
  std::string message;
};

using config::duration_text;
using config::parse_duration;
using config::section;
using config::where;

void reject_unknown(const toml::table& table, std::initializer_list<std::string_view> known, const std::string& source,
                    std::string_view section) {
  config::reject_unknown(table, known, source, section, "docs/OPERATIONS.md for the agent's settings");
}

std::string read_string(const toml::table& table, std::string_view key, const std::string& source,
                        std::string_view qualified) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return {};
  const auto value = node->value<std::string>();
  if (!value || value->empty())
    throw ConfigProblem{where(source, node->source()) + ": '" + std::string(qualified) +
                        "' must be a non-empty string"};
  return *value;
}

std::string read_ip_address(const toml::table& table, std::string_view key, const std::string& source,
                            std::string_view qualified) {
  std::string value = read_string(table, key, source, qualified);
  if (value.empty()) return value;
  unsigned char address[16];
  if (inet_pton(AF_INET, value.c_str(), address) != 1 && inet_pton(AF_INET6, value.c_str(), address) != 1)
    throw ConfigProblem{where(source, table.get(key)->source()) + ": '" + std::string(qualified) + "' = '" + value +
                        "' is not an IP address (give the address of the interface, e.g. 192.0.2.10)"};
  return value;
}

// ---- the automation side: [[plc]], [poll_groups], [[tag]] ----

using collect::Milliseconds;

// Where a setting is reported: "plc 'press': " once the entry's name is known.
struct Entry {
  const std::string& source;
  std::string prefix;  // "plc 'press': ", "tag 'press.temperature': ", "poll group 'fast': "
};

[[noreturn]] void problem_at(const Entry& entry, const toml::node& node, const std::string& message) {
  throw ConfigProblem{where(entry.source, node.source()) + ": " + entry.prefix + message};
}

bool valid_name(std::string_view name, std::size_t maximum) {
  if (name.empty() || name.size() > maximum) return false;
  for (char c : name) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string number_text(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::optional<std::string> string_setting(const toml::table& table, std::string_view key, const Entry& entry) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::nullopt;
  const auto value = node->value<std::string>();
  if (!value || value->empty()) problem_at(entry, *node, "'" + std::string(key) + "' must be a non-empty string");
  return *value;
}

std::string required_string(const toml::table& table, std::string_view key, const Entry& entry, std::string_view what) {
  auto value = string_setting(table, key, entry);
  if (!value) problem_at(entry, table, "'" + std::string(key) + "' is missing (" + std::string(what) + ")");
  return *value;
}

std::optional<std::int64_t> integer_setting(const toml::table& table, std::string_view key, const Entry& entry,
                                            std::int64_t minimum, std::int64_t maximum) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::nullopt;
  const toml::value<std::int64_t>* integer = node->as_integer();
  if (integer == nullptr || integer->get() < minimum || integer->get() > maximum)
    problem_at(entry, *node,
               "'" + std::string(key) + "' must be an integer from " + std::to_string(minimum) + " to " +
                   std::to_string(maximum));
  return integer->get();
}

std::optional<Milliseconds> duration_setting(const toml::table& table, std::string_view key, const Entry& entry,
                                             Milliseconds minimum, Milliseconds maximum) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::nullopt;
  const auto text = node->value<std::string>();
  const auto value = text ? parse_duration(*text) : std::nullopt;
  if (!value || *value < minimum || *value > maximum)
    problem_at(entry, *node,
               "'" + std::string(key) + "' must be a duration from " + duration_text(minimum) + " to " +
                   duration_text(maximum) + " written with one unit, e.g. \"500ms\", \"3s\", \"2m\" or \"1h\"");
  return *value;
}

std::optional<double> number_setting(const toml::table& table, std::string_view key, const Entry& entry) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::nullopt;
  std::optional<double> value;
  if (const auto* integer = node->as_integer()) value = static_cast<double>(integer->get());
  if (const auto* floating = node->as_floating_point()) value = floating->get();
  if (!value || !std::isfinite(*value)) problem_at(entry, *node, "'" + std::string(key) + "' must be a number");
  return value;
}

std::optional<bool> boolean_setting(const toml::table& table, std::string_view key, const Entry& entry) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::nullopt;
  const auto* value = node->as_boolean();
  if (value == nullptr) problem_at(entry, *node, "'" + std::string(key) + "' must be true or false");
  return value->get();
}

// The entries of an array of tables ([[plc]], [[tag]]); empty when absent.
std::vector<const toml::table*> array_of_tables(const toml::table& root, std::string_view name,
                                                const std::string& source) {
  std::vector<const toml::table*> tables;
  const toml::node* node = root.get(name);
  if (node == nullptr) return tables;
  if (!node->is_array_of_tables())
    throw ConfigProblem{where(source, node->source()) + ": '" + std::string(name) + "' must be written as [[" +
                        std::string(name) + "]] tables"};
  for (const toml::node& element : *node->as_array()) tables.push_back(element.as_table());
  return tables;
}

constexpr std::string_view kPlcCommonKeys[] = {"name",    "protocol", "host",          "port",
                                               "max_gap", "timeout",  "reconnect_min", "reconnect_max"};
constexpr std::string_view kPlcS7Keys[] = {"rack", "slot", "local_tsap", "remote_tsap", "connection_type", "pdu_size"};
constexpr std::string_view kPlcModbusKeys[] = {"unit_id", "pause_after_connect", "pause_between_requests",
                                               "close_after_poll", "max_registers"};

bool one_of(std::string_view key, std::span<const std::string_view> keys) {
  for (auto name : keys)
    if (key == name) return true;
  return false;
}

// IP literals and host names only: a typo such as "10.0.0.1:102" is caught here, not at connect time.
bool valid_host(const std::string& host) {
  unsigned char address[16];
  if (inet_pton(AF_INET, host.c_str(), address) == 1 || inet_pton(AF_INET6, host.c_str(), address) == 1) return true;
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

collect::PlcConfig parse_plc(const toml::table& table, const std::string& source) {
  Entry entry{source, "plc: "};
  collect::PlcConfig plc;
  plc.name = required_string(table, "name", entry, "each [[plc]] needs a name");
  if (!valid_name(plc.name, 64))
    problem_at(entry, *table.get("name"), "name '" + plc.name + "' must be 1 to 64 characters from A-Z a-z 0-9 _ . -");
  entry.prefix = "plc '" + plc.name + "': ";
  const std::string protocol = required_string(table, "protocol", entry, "\"s7\" or \"modbus\"");
  const bool s7 = protocol == "s7";
  if (!s7 && protocol != "modbus")
    problem_at(entry, *table.get("protocol"),
               "protocol '" + protocol + "' is not supported (use \"s7\" or \"modbus\")");

  for (const auto& [key, node] : table) {
    const std::string_view name = key.str();
    using Keys = std::span<const std::string_view>;
    const Keys own = s7 ? Keys(kPlcS7Keys) : Keys(kPlcModbusKeys);
    const Keys other = s7 ? Keys(kPlcModbusKeys) : Keys(kPlcS7Keys);
    if (one_of(name, kPlcCommonKeys) || one_of(name, own)) continue;
    if (one_of(name, other))
      throw ConfigProblem{where(source, key.source()) + ": " + entry.prefix + "'" + std::string(name) +
                          "' applies to " + (s7 ? "Modbus" : "S7") + " PLCs only (this PLC's protocol is " + protocol +
                          ")"};
    throw ConfigProblem{where(source, key.source()) + ": unknown setting 'plc." + std::string(name) +
                        "' (see docs/OPERATIONS.md for the agent's settings)"};
  }

  plc.host = required_string(table, "host", entry, "the PLC's IP address or host name");
  if (!valid_host(plc.host))
    problem_at(entry, *table.get("host"),
               "host '" + plc.host + "' is not an IP address or host name (give the port in 'port')");
  if (auto value = duration_setting(table, "timeout", entry, Milliseconds(100), Milliseconds(600'000)))
    plc.timeout = *value;
  if (auto value = duration_setting(table, "reconnect_min", entry, Milliseconds(100), Milliseconds(3'600'000)))
    plc.reconnect_min = *value;
  if (auto value = duration_setting(table, "reconnect_max", entry, Milliseconds(100), Milliseconds(3'600'000)))
    plc.reconnect_max = *value;
  if (plc.reconnect_max < plc.reconnect_min) {
    const toml::node* node = table.get("reconnect_max") ? table.get("reconnect_max") : table.get("reconnect_min");
    problem_at(entry, *node,
               "'reconnect_max' (" + duration_text(plc.reconnect_max) + ") is shorter than 'reconnect_min' (" +
                   duration_text(plc.reconnect_min) + ")");
  }
  const auto port = integer_setting(table, "port", entry, 1, 65535);

  if (s7) {
    collect::S7Connection connection;
    if (port) connection.port = static_cast<std::uint16_t>(*port);
    const auto rack = integer_setting(table, "rack", entry, 0, 7);
    const auto slot = integer_setting(table, "slot", entry, 0, 31);
    const auto local_tsap = integer_setting(table, "local_tsap", entry, 0, 0xFFFF);
    const auto remote_tsap = integer_setting(table, "remote_tsap", entry, 0, 0xFFFF);
    if (local_tsap.has_value() != remote_tsap.has_value())
      problem_at(entry, *table.get(local_tsap ? "local_tsap" : "remote_tsap"),
                 "give both 'local_tsap' and 'remote_tsap', or neither (then rack and slot decide)");
    if (local_tsap && (rack || slot))
      problem_at(entry, *table.get(rack ? "rack" : "slot"),
                 "'rack'/'slot' and explicit TSAPs exclude each other: the TSAPs already name the CPU");
    if (rack) connection.rack = static_cast<std::uint16_t>(*rack);
    if (slot) connection.slot = static_cast<std::uint16_t>(*slot);
    if (local_tsap) {
      connection.local_tsap = static_cast<std::uint16_t>(*local_tsap);
      connection.remote_tsap = static_cast<std::uint16_t>(*remote_tsap);
    }
    if (auto type = string_setting(table, "connection_type", entry)) {
      if (*type == "PG")
        connection.connection_type = collect::S7ConnectionType::pg;
      else if (*type == "OP")
        connection.connection_type = collect::S7ConnectionType::op;
      else if (*type == "S7-basic")
        connection.connection_type = collect::S7ConnectionType::s7_basic;
      else
        problem_at(entry, *table.get("connection_type"),
                   "connection_type '" + *type + "' is not one of \"PG\", \"OP\", \"S7-basic\"");
    }
    if (auto value = integer_setting(table, "pdu_size", entry, 240, 960))
      connection.pdu_size = static_cast<std::uint16_t>(*value);
    if (auto value = integer_setting(table, "max_gap", entry, 0, 960))
      connection.max_gap = static_cast<std::uint16_t>(*value);
    plc.protocol = connection;
  } else {
    collect::ModbusConnection connection;
    if (port) connection.port = static_cast<std::uint16_t>(*port);
    if (auto value = integer_setting(table, "unit_id", entry, 0, 255)) {
      // Modbus TCP reserves 248..254 (libmodbus refuses them): caught here, not at every connect.
      if (*value >= 248 && *value <= 254)
        problem_at(entry, *table.get("unit_id"),
                   "'unit_id' " + std::to_string(*value) +
                       " is reserved in Modbus: use 0 to 247, or 255 for a device addressed by its IP address alone");
      connection.unit_id = static_cast<std::uint8_t>(*value);
    }
    if (auto value = duration_setting(table, "pause_after_connect", entry, Milliseconds(0), Milliseconds(60'000)))
      connection.pause_after_connect = *value;
    if (auto value = duration_setting(table, "pause_between_requests", entry, Milliseconds(0), Milliseconds(60'000)))
      connection.pause_between_requests = *value;
    if (auto value = boolean_setting(table, "close_after_poll", entry)) connection.close_after_poll = *value;
    if (auto value = integer_setting(table, "max_registers", entry, 1, 125))
      connection.max_registers = static_cast<std::uint16_t>(*value);
    if (auto value = integer_setting(table, "max_gap", entry, 0, 124))
      connection.max_gap = static_cast<std::uint16_t>(*value);
    plc.protocol = connection;
  }
  return plc;
}

collect::PollGroup parse_poll_group(std::string_view name, const toml::node& node, const std::string& source) {
  Entry entry{source, "poll group '" + std::string(name) + "': "};
  if (!valid_name(name, 64)) problem_at(entry, node, "the name must be 1 to 64 characters from A-Z a-z 0-9 _ . -");
  const toml::table* table = node.as_table();
  if (table == nullptr) problem_at(entry, node, "must be a table such as { interval = \"1s\", report = \"change\" }");
  reject_unknown(*table, {"interval", "report"}, source, "poll_groups." + std::string(name) + ".");
  collect::PollGroup group;
  group.name = std::string(name);
  const auto interval = duration_setting(*table, "interval", entry, Milliseconds(100), Milliseconds(86'400'000));
  if (!interval) problem_at(entry, node, "'interval' is missing (100ms to 24h, e.g. \"1s\")");
  group.interval = *interval;
  if (auto report = string_setting(*table, "report", entry)) {
    if (*report != "change" && *report != "always")
      problem_at(entry, *table->get("report"),
                 "report '" + *report + "' is not one of \"change\" (report by exception) or \"always\"");
    group.report_by_exception = *report == "change";
  }
  return group;
}

// Values that are numbers: deadband, scale and offset make sense for them only.
bool numeric_type(const std::variant<s7::Address, modbus::Address>& address) {
  if (const auto* s7_address = std::get_if<s7::Address>(&address)) {
    switch (s7_address->type) {
      case s7::DataType::Bool:
      case s7::DataType::Date:
      case s7::DataType::DateAndTime:
      case s7::DataType::String:
      case s7::DataType::Char:
      case s7::DataType::WString:
      case s7::DataType::WChar:
      case s7::DataType::TimeOfDay:
      case s7::DataType::Dtl: return false;
      default: return !s7_address->is_array();  // an array is not one number
    }
  }
  return std::get<modbus::Address>(address).type != modbus::DataType::Bool;
}

collect::TagConfig parse_tag(const toml::table& table, const std::string& source, const collect::CollectConfig& config,
                             std::map<std::string, std::size_t>& groups_by_name,
                             std::vector<collect::PollGroup>& groups) {
  Entry entry{source, "tag: "};
  reject_unknown(table, {"name", "plc", "address", "type", "count", "order", "group", "deadband", "scale", "offset"},
                 source, "tag.");
  collect::TagConfig tag;
  tag.name = required_string(table, "name", entry, "each [[tag]] needs a name");
  if (!valid_name(tag.name, 128))
    problem_at(entry, *table.get("name"), "name '" + tag.name + "' must be 1 to 128 characters from A-Z a-z 0-9 _ . -");
  entry.prefix = "tag '" + tag.name + "': ";

  const std::string plc_name = required_string(table, "plc", entry, "the name of a [[plc]]");
  std::optional<std::size_t> plc_index;
  for (std::size_t i = 0; i < config.plcs.size(); ++i)
    if (config.plcs[i].name == plc_name) plc_index = i;
  if (!plc_index) problem_at(entry, *table.get("plc"), "no [[plc]] is named '" + plc_name + "'");
  tag.plc = *plc_index;
  const bool s7 = std::holds_alternative<collect::S7Connection>(config.plcs[tag.plc].protocol);

  tag.address_text = required_string(
      table, "address", entry, s7 ? "an S7 address such as \"DB10.DBD8\"" : "a Modbus address such as \"hr:100\"");
  const toml::node& address_node = *table.get("address");
  const std::string type = string_setting(table, "type", entry).value_or("");
  const auto order = string_setting(table, "order", entry);
  if (s7) {
    if (order)
      problem_at(entry, *table.get("order"), "'order' applies to Modbus tags only (S7 values are always big-endian)");
    auto address = s7::parse_address(tag.address_text, type);
    if (!address) problem_at(entry, address_node, address.error().message);
    tag.address = *address;
    // `count = 10` is the same as `type = "REAL[10]"`: an array read as one tag.
    if (const toml::node* count = table.get("count")) {
      const auto length = count->value<std::int64_t>();
      if (!count->is_integer() || !length || *length < 1)
        problem_at(entry, *count, "'count' must be a whole number 1..65535 (the array's element count)");
      auto array = s7::make_array(*address, static_cast<std::uint64_t>(*length));
      if (!array) problem_at(entry, *count, tag.address_text + " " + type + ": " + array.error());
      tag.address = *array;
    }
  } else {
    if (table.get("count") != nullptr)
      problem_at(entry, *table.get("count"), "'count' applies to S7 tags only (a Modbus tag is one value)");
    auto address = modbus::parse_address(tag.address_text, type, order.value_or(""));
    if (!address) problem_at(entry, address_node, address.error().message);
    tag.address = *address;
  }

  const std::string group_name = string_setting(table, "group", entry).value_or("default");
  auto group = groups_by_name.find(group_name);
  if (group == groups_by_name.end()) {
    if (group_name != "default")
      problem_at(entry, *table.get("group"), "no poll group '" + group_name + "' in [poll_groups]");
    // Tags without a group are polled every second and reported by exception.
    groups.push_back(collect::PollGroup{"default", Milliseconds(1000), true});
    group = groups_by_name.emplace("default", groups.size() - 1).first;
  }
  tag.group = group->second;

  const bool numeric = numeric_type(tag.address);
  for (std::string_view key : {"deadband", "scale", "offset"})
    if (!numeric && table.get(key) != nullptr)
      problem_at(entry, *table.get(key),
                 "'" + std::string(key) + "' applies to numbers only, not to " +
                     (s7 && std::get<s7::Address>(tag.address).is_array()
                          ? std::string("an array")
                          : "a " + (s7 ? std::string(s7::type_name(std::get<s7::Address>(tag.address).type))
                                       : std::string("BOOL"))));
  if (auto value = number_setting(table, "deadband", entry)) {
    if (*value < 0) problem_at(entry, *table.get("deadband"), "'deadband' must not be negative");
    tag.deadband = *value;
  }
  if (auto value = number_setting(table, "scale", entry)) {
    if (*value == 0) problem_at(entry, *table.get("scale"), "'scale' must not be 0 (a write divides by it)");
    tag.scale = *value;
  }
  if (auto value = number_setting(table, "offset", entry)) tag.offset = *value;
  return tag;
}

collect::CollectConfig parse_collect(const toml::table& root, const std::string& source) {
  collect::CollectConfig config;
  for (const toml::table* table : array_of_tables(root, "plc", source)) {
    auto plc = parse_plc(*table, source);
    for (const auto& other : config.plcs)
      if (other.name == plc.name)
        throw ConfigProblem{where(source, table->get("name")->source()) + ": plc '" + plc.name +
                            "' is defined twice (PLC names must be unique)"};
    config.plcs.push_back(std::move(plc));
  }

  std::map<std::string, std::size_t> groups_by_name;
  if (const toml::table* groups = section(root, "poll_groups", source)) {
    for (const auto& [key, node] : *groups) {
      config.groups.push_back(parse_poll_group(key.str(), node, source));
      groups_by_name.emplace(std::string(key.str()), config.groups.size() - 1);
    }
  }

  std::map<std::string, std::size_t> tags_by_name;
  for (const toml::table* table : array_of_tables(root, "tag", source)) {
    auto tag = parse_tag(*table, source, config, groups_by_name, config.groups);
    if (!tags_by_name.emplace(tag.name, config.tags.size()).second)
      throw ConfigProblem{where(source, table->get("name")->source()) + ": tag '" + tag.name +
                          "' is defined twice (tag names must be unique)"};
    config.tags.push_back(std::move(tag));
  }
  return config;
}

std::string canonical_collect_text(const collect::CollectConfig& config) {
  std::ostringstream text;
  for (const auto& plc : config.plcs) {
    text << "plc=" << plc.name << " host=" << plc.host << " timeout=" << plc.timeout.count()
         << " reconnect=" << plc.reconnect_min.count() << ".." << plc.reconnect_max.count();
    if (const auto* s7 = std::get_if<collect::S7Connection>(&plc.protocol)) {
      text << " protocol=s7 port=" << s7->port << " rack=" << s7->rack << " slot=" << s7->slot
           << " local_tsap=" << (s7->local_tsap ? std::to_string(*s7->local_tsap) : "-")
           << " remote_tsap=" << (s7->remote_tsap ? std::to_string(*s7->remote_tsap) : "-")
           << " connection_type=" << static_cast<int>(s7->connection_type) << " pdu_size=" << s7->pdu_size
           << " max_gap=" << s7->max_gap;
    } else {
      const auto& modbus = std::get<collect::ModbusConnection>(plc.protocol);
      text << " protocol=modbus port=" << modbus.port << " unit_id=" << static_cast<int>(modbus.unit_id)
           << " pause_after_connect=" << modbus.pause_after_connect.count()
           << " pause_between_requests=" << modbus.pause_between_requests.count()
           << " close_after_poll=" << modbus.close_after_poll << " max_registers=" << modbus.max_registers
           << " max_gap=" << modbus.max_gap;
    }
    text << "\n";
  }
  for (const auto& group : config.groups)
    text << "poll_group=" << group.name << " interval=" << group.interval.count()
         << " report=" << (group.report_by_exception ? "change" : "always") << "\n";
  for (const auto& tag : config.tags) {
    const std::string address = std::holds_alternative<s7::Address>(tag.address)
                                    ? s7::to_string(std::get<s7::Address>(tag.address))
                                    : modbus::to_string(std::get<modbus::Address>(tag.address));
    text << "tag=" << tag.name << " plc=" << config.plcs[tag.plc].name << " address=" << address
         << " group=" << config.groups[tag.group].name << " deadband=" << number_text(tag.deadband)
         << " scale=" << number_text(tag.scale) << " offset=" << number_text(tag.offset) << "\n";
  }
  return text.str();
}

AgentConfig parse(std::string_view text, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& error) {
    throw ConfigProblem{where(source, error.source()) + ": " + std::string(error.description())};
  }
  AgentConfig config;
  reject_unknown(root, {"state_dir", "enrolment_token", "uplink", "automation", "plc", "poll_groups", "tag"}, source,
                 "");
  config.state_dir = read_string(root, "state_dir", source, "state_dir");
  config.enrolment_token = read_string(root, "enrolment_token", source, "enrolment_token");
  if (const toml::table* uplink = section(root, "uplink", source)) {
    reject_unknown(*uplink, {"endpoints", "bind_address"}, source, "uplink.");
    if (const toml::node* node = uplink->get("endpoints")) {
      const toml::array* endpoints = node->as_array();
      if (endpoints == nullptr || endpoints->empty())
        throw ConfigProblem{where(source, node->source()) +
                            ": 'uplink.endpoints' must be a non-empty list of wss:// addresses"};
      for (const toml::node& entry : *endpoints) {
        const auto value = entry.value<std::string>();
        if (!value) throw ConfigProblem{where(source, entry.source()) + ": 'uplink.endpoints' entries must be strings"};
        auto url = parse_uplink_url(*value);
        if (!url) throw ConfigProblem{where(source, entry.source()) + ": " + url.error().message};
        config.uplink_endpoints.push_back(url->text);
      }
    }
    config.uplink_bind_address = read_ip_address(*uplink, "bind_address", source, "uplink.bind_address");
  }
  if (const toml::table* automation = section(root, "automation", source)) {
    reject_unknown(*automation, {"bind_address"}, source, "automation.");
    config.automation_bind_address = read_ip_address(*automation, "bind_address", source, "automation.bind_address");
  }
  config.collect = parse_collect(root, source);
  return config;
}

}  // namespace

std::string AgentConfig::canonical_text() const {
  std::string text = "state_dir=" + state_dir + "\nuplink.bind_address=" + uplink_bind_address +
                     "\nautomation.bind_address=" + automation_bind_address + "\n";
  for (const auto& endpoint : uplink_endpoints) text += "uplink.endpoint=" + endpoint + "\n";
  text += canonical_collect_text(collect);
  return text;
}

net::Result<AgentConfig> parse_agent_config(std::string_view text, const std::string& source) {
  try {
    return parse(text, source);
  } catch (const ConfigProblem& problem) {
    return fail(net::ErrorCode::bad_input, problem.message);
  } catch (const config::ConfigError& error) {  // from the shared TOML helpers
    return fail(net::ErrorCode::bad_input, error.what());
  }
}

net::Result<AgentConfig> load_agent_config(const std::filesystem::path& file) {
  std::ifstream stream(file, std::ios::binary);
  if (!stream) return fail(net::ErrorCode::io_failed, "cannot read the configuration file " + file.string());
  std::string text(kMaximumConfigBytes + 1, '\0');
  stream.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(stream.gcount()));
  if (text.size() > kMaximumConfigBytes)
    return fail(net::ErrorCode::bad_input, "the configuration file " + file.string() + " is larger than 1 MiB");
  return parse_agent_config(text, file.string());
}

}  // namespace logbot::agent
