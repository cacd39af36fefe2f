#include "agent/config/agent_config.hpp"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <fstream>
#include <initializer_list>
#include <sstream>

#include "agent/uplink/uplink_url.hpp"

namespace logbot::agent {
namespace {

constexpr std::size_t kMaximumConfigBytes = 1024 * 1024;

// Thrown inside the parser only; parse_agent_config turns it into an error value.
struct ConfigProblem {
  std::string message;
};

std::string where(const std::string& source, const toml::source_region& region) {
  std::ostringstream out;
  out << source << ":" << region.begin.line << ":" << region.begin.column;
  return out.str();
}

void reject_unknown(const toml::table& table, std::initializer_list<std::string_view> known, const std::string& source,
                    std::string_view section) {
  for (const auto& [key, node] : table) {
    bool ok = false;
    for (auto name : known) ok = ok || key.str() == name;
    if (!ok)
      throw ConfigProblem{where(source, key.source()) + ": unknown setting '" + std::string(section) +
                          std::string(key.str()) + "' (see docs/OPERATIONS.md for the agent's settings)"};
  }
}

const toml::table* section(const toml::table& root, std::string_view name, const std::string& source) {
  const toml::node* node = root.get(name);
  if (node == nullptr) return nullptr;
  if (!node->is_table())
    throw ConfigProblem{where(source, node->source()) + ": '" + std::string(name) + "' must be a table ([" +
                        std::string(name) + "])"};
  return node->as_table();
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

AgentConfig parse(std::string_view text, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& error) {
    throw ConfigProblem{where(source, error.source()) + ": " + std::string(error.description())};
  }
  AgentConfig config;
  reject_unknown(root, {"state_dir", "enrolment_token", "uplink", "automation"}, source, "");
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
  return config;
}

}  // namespace

std::string AgentConfig::canonical_text() const {
  std::string text = "state_dir=" + state_dir + "\nuplink.bind_address=" + uplink_bind_address +
                     "\nautomation.bind_address=" + automation_bind_address + "\n";
  for (const auto& endpoint : uplink_endpoints) text += "uplink.endpoint=" + endpoint + "\n";
  return text;
}

net::UserResult<AgentConfig> parse_agent_config(std::string_view text, const std::string& source) {
  try {
    return parse(text, source);
  } catch (const ConfigProblem& problem) {
    return net::UserError{problem.message};
  }
}

net::UserResult<AgentConfig> load_agent_config(const std::filesystem::path& file) {
  std::ifstream stream(file, std::ios::binary);
  if (!stream) return net::UserError{"cannot read the configuration file " + file.string()};
  std::string text(kMaximumConfigBytes + 1, '\0');
  stream.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(stream.gcount()));
  if (text.size() > kMaximumConfigBytes)
    return net::UserError{"the configuration file " + file.string() + " is larger than 1 MiB"};
  return parse_agent_config(text, file.string());
}

}  // namespace logbot::agent
