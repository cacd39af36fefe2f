#include "cloud/config/cloud_config.hpp"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <algorithm>

#include "common/config/duration.hpp"
#include "common/config/toml_read.hpp"
#include "common/net/address.hpp"

namespace logbot::cloud {
namespace {

using config::where;
using std::chrono::milliseconds;
constexpr std::string_view kReference = "docs/OPERATIONS.md";
constexpr milliseconds kLongest{std::int64_t{3650} * 24 * 3600'000};  // ten years: any setting's upper bound

template <typename T>
void read(const toml::table& table, std::string_view key, T& out, const std::filesystem::path& file) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return;
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::filesystem::path>) {
    const auto value = node->value<std::string>();
    if (!value)
      throw ConfigError(where(file.string(), node->source()) + ": '" + std::string(key) + "' must be a string");
    out = *value;
  } else {
    const auto value = node->value<std::int64_t>();
    if (!value || *value < 0 || *value > 2'000'000'000)
      throw ConfigError(where(file.string(), node->source()) + ": '" + std::string(key) +
                        "' must be an integer from 0 to 2000000000");
    out = static_cast<T>(*value);
  }
}

void reject_unknown(const toml::table& table, std::initializer_list<std::string_view> known,
                    const std::filesystem::path& file, std::string_view section) {
  config::reject_unknown(table, known, file.string(), section, kReference);
}

// Reads a duration at `name` (e.g. "idle_timeout" = "30m"), or the deprecated integer of
// seconds at `name`_s, recording a deprecation; both at once is an error.
class DurationReader {
 public:
  DurationReader(const toml::table& table, std::string_view section, const std::filesystem::path& file,
                 std::vector<std::string>& deprecations)
      : table_(table), section_(section), file_(file), deprecations_(deprecations) {}

  std::optional<milliseconds> get(std::string_view name, milliseconds minimum = milliseconds(0),
                                  milliseconds maximum = kLongest) const {
    const std::string qualified = std::string(section_) + "." + std::string(name);
    const std::string old_name = std::string(name) + "_s";
    auto value = config::read_duration(table_, name, file_.string(), qualified, minimum, maximum);
    const toml::node* old_node = table_.get(old_name);
    if (old_node == nullptr) return value;
    if (value)
      throw ConfigError(where(file_.string(), old_node->source()) + ": '" + qualified + "_s' and '" + qualified +
                        "' set the same thing: keep only '" + std::string(name) + "' (a duration such as \"30s\")");
    std::int64_t seconds = 0;
    read(table_, old_name, seconds, file_);
    value = milliseconds(seconds * 1000);
    deprecations_.push_back(where(file_.string(), old_node->source()) + ": '" + qualified +
                            "_s = " + std::to_string(seconds) + "' is deprecated: write " + std::string(name) +
                            " = \"" + config::duration_text(*value) + "\" in [" + std::string(section_) + "] (see " +
                            std::string(kReference) + ")");
    return value;
  }

  void get_ms(std::string_view name, std::int64_t& out_ms) const {
    if (const auto value = get(name)) out_ms = value->count();
  }

 private:
  const toml::table& table_;
  std::string_view section_;
  const std::filesystem::path& file_;
  std::vector<std::string>& deprecations_;
};

}  // namespace

void apply_toml_file(CloudConfig& config, const std::filesystem::path& file) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& error) {
    throw ConfigError(where(file.string(), error.source()) + ": " + std::string(error.description()));
  }
  reject_unknown(
      root,
      {"listen", "data_dir", "key_dir", "web_dir", "log_level", "worker_threads", "max_body_bytes", "public_url",
       "device_listen", "tls", "http", "session", "lockout", "devices", "invitations", "audit"},
      file, "");
  for (const char* name : {"tls", "http", "session", "lockout", "devices", "invitations", "audit"})
    (void)config::section(root, name, file.string());
  read(root, "listen", config.listen, file);
  read(root, "data_dir", config.data_dir, file);
  read(root, "key_dir", config.key_dir, file);
  read(root, "web_dir", config.web_dir, file);
  read(root, "public_url", config.public_url, file);
  read(root, "device_listen", config.device_listen, file);
  if (const toml::table* devices = root["devices"].as_table()) {
    reject_unknown(*devices,
                   {"certificate_lifetime_days", "enrolment_token_ttl", "enrolment_token_ttl_s", "heartbeat",
                    "heartbeat_s", "public_url", "handshake_timeout", "close_timeout", "write_timeout"},
                   file, "devices.");
    const DurationReader durations(*devices, "devices", file, config.deprecations);
    if (const auto heartbeat = durations.get("heartbeat")) {
      // Agents are told whole seconds (HelloAck.heartbeat_interval_s).
      if (heartbeat->count() % 1000 != 0)
        throw ConfigError(where(file.string(), devices->get("heartbeat")->source()) +
                          ": 'devices.heartbeat' must be whole seconds (e.g. \"10s\")");
      config.device_heartbeat_s = static_cast<int>(std::min<std::int64_t>(heartbeat->count() / 1000, 1'000'000'000));
    }
    read(*devices, "public_url", config.device_public_url, file);
    read(*devices, "certificate_lifetime_days", config.device_certificate_days, file);
    durations.get_ms("enrolment_token_ttl", config.enrolment_token_ttl_ms);
    if (const auto value = durations.get("handshake_timeout", milliseconds(100), milliseconds(600'000)))
      config.device_timeouts.handshake = *value;
    if (const auto value = durations.get("close_timeout", milliseconds(100), milliseconds(600'000)))
      config.device_timeouts.close = *value;
    if (const auto value = durations.get("write_timeout", milliseconds(100), milliseconds(600'000)))
      config.device_timeouts.write = *value;
  }
  read(root, "log_level", config.log_level, file);
  read(root, "worker_threads", config.worker_threads, file);
  read(root, "max_body_bytes", config.max_body_bytes, file);
  if (const toml::table* invitations = root["invitations"].as_table()) {
    reject_unknown(*invitations, {"ttl", "ttl_s"}, file, "invitations.");
    DurationReader(*invitations, "invitations", file, config.deprecations).get_ms("ttl", config.invitation_ttl_ms);
  }
  if (const toml::table* tls = root["tls"].as_table()) {
    reject_unknown(*tls, {"cert", "key"}, file, "tls.");
    read(*tls, "cert", config.tls_cert, file);
    read(*tls, "key", config.tls_key, file);
  }
  if (const toml::table* http = root["http"].as_table()) {
    reject_unknown(*http, {"handshake_timeout", "idle_timeout", "request_timeout", "write_timeout", "shutdown_timeout"},
                   file, "http.");
    const DurationReader durations(*http, "http", file, config.deprecations);
    const milliseconds shortest(100), longest(3'600'000);
    if (const auto value = durations.get("handshake_timeout", shortest, longest)) config.http.handshake = *value;
    if (const auto value = durations.get("idle_timeout", shortest, longest)) config.http.idle = *value;
    if (const auto value = durations.get("request_timeout", shortest, longest)) config.http.request = *value;
    if (const auto value = durations.get("write_timeout", shortest, longest)) config.http.write = *value;
    if (const auto value = durations.get("shutdown_timeout", shortest, longest)) config.http.shutdown = *value;
  }
  if (const toml::table* session = root["session"].as_table()) {
    reject_unknown(*session,
                   {"idle_timeout", "idle_timeout_s", "absolute_timeout", "absolute_timeout_s", "second_factor_timeout",
                    "second_factor_timeout_s", "sweep_interval", "sweep_interval_s"},
                   file, "session.");
    const DurationReader durations(*session, "session", file, config.deprecations);
    durations.get_ms("sweep_interval", config.session.sweep_interval_ms);
    durations.get_ms("idle_timeout", config.session.idle_timeout_ms);
    durations.get_ms("absolute_timeout", config.session.absolute_timeout_ms);
    durations.get_ms("second_factor_timeout", config.session.second_factor_timeout_ms);
  }
  if (const toml::table* audit = root["audit"].as_table()) {
    reject_unknown(*audit, {"anchor_file"}, file, "audit.");
    read(*audit, "anchor_file", config.audit_anchor, file);
  }
  if (const toml::table* lockout = root["lockout"].as_table()) {
    reject_unknown(*lockout,
                   {"account_failures", "ip_failures", "wait", "wait_s", "max_wait", "max_wait_s", "failure_reset",
                    "failure_reset_s"},
                   file, "lockout.");
    read(*lockout, "account_failures", config.lockout.account_failure_factor, file);
    read(*lockout, "ip_failures", config.lockout.ip_failure_factor, file);
    const DurationReader durations(*lockout, "lockout", file, config.deprecations);
    durations.get_ms("wait", config.lockout.wait_increment_ms);
    durations.get_ms("max_wait", config.lockout.max_wait_ms);
    durations.get_ms("failure_reset", config.lockout.failure_reset_ms);
  }
}

void apply_environment(CloudConfig& config, const std::function<std::optional<std::string>(const char*)>& getenv) {
  if (auto v = getenv("LOGBOT_LISTEN")) config.listen = *v;
  if (auto v = getenv("LOGBOT_DATA_DIR")) config.data_dir = *v;
  if (auto v = getenv("LOGBOT_KEY_DIR")) config.key_dir = *v;
  if (auto v = getenv("LOGBOT_TLS_CERT")) config.tls_cert = *v;
  if (auto v = getenv("LOGBOT_TLS_KEY")) config.tls_key = *v;
  if (auto v = getenv("LOGBOT_WEB_DIR")) config.web_dir = *v;
  if (auto v = getenv("LOGBOT_LOG_LEVEL")) config.log_level = *v;
}

std::string CloudConfig::effective_device_listen() const {
  if (!device_listen.empty()) return device_listen;
  const auto address = net::parse_host_port(listen);
  if (!address) return {};
  const std::string host = address->host.find(':') != std::string::npos ? "[" + address->host + "]" : address->host;
  const unsigned port = address->port == 0 ? 0u : (address->port == 65535 ? 0u : address->port + 1u);
  return host + ":" + std::to_string(port);
}

void validate(const CloudConfig& config) {
  const auto listen = net::parse_host_port(config.listen);
  unsigned char address[16];
  if (!listen || (inet_pton(AF_INET, listen->host.c_str(), address) != 1 &&
                  inet_pton(AF_INET6, listen->host.c_str(), address) != 1))
    throw ConfigError("listen address '" + config.listen +
                      "' is not IP:PORT (e.g. 127.0.0.1:8443, 0.0.0.0:8443 or [::]:8443)");
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (std::find(std::begin(kLevels), std::end(kLevels), config.log_level) == std::end(kLevels))
    throw ConfigError("log_level '" + config.log_level +
                      "' is not one of trace, debug, info, warn, error, critical, off");
  if (config.tls_cert.empty() != config.tls_key.empty())
    throw ConfigError("tls.cert and tls.key must be given together (or neither, for a self-signed certificate)");
  if (config.worker_threads < 1 || config.worker_threads > 64)
    throw ConfigError("worker_threads must be between 1 and 64");
  if (config.session.idle_timeout_ms <= 0 || config.session.absolute_timeout_ms <= 0 ||
      config.session.second_factor_timeout_ms <= 0)
    throw ConfigError("session timeouts must be positive");
  if (config.session.sweep_interval_ms < 1000 || config.session.sweep_interval_ms > 3600'000)
    throw ConfigError("session.sweep_interval must be between 1s and 1h");
  if (config.lockout.account_failure_factor < 1 || config.lockout.ip_failure_factor < 1)
    throw ConfigError("lockout failure counts must be at least 1");
  if (config.max_body_bytes < 1024) throw ConfigError("max_body_bytes must be at least 1024");
  if (config.device_certificate_days < 1 || config.device_certificate_days > 3650)
    throw ConfigError("devices.certificate_lifetime_days must be between 1 and 3650");
  if (!config.device_listen.empty() && !net::parse_host_port(config.device_listen))
    throw ConfigError("device_listen '" + config.device_listen + "' is not IP:PORT");
  if (!config.device_public_url.empty() && !config.device_public_url.starts_with("wss://"))
    throw ConfigError("devices.public_url must start with wss:// (it is how agents reach the uplink)");
  if (config.device_heartbeat_s < 1 || config.device_heartbeat_s > 3600)
    throw ConfigError("devices.heartbeat must be between 1s and 1h");
  if (config.enrolment_token_ttl_ms <= 0) throw ConfigError("devices.enrolment_token_ttl must be positive");
  if (config.invitation_ttl_ms <= 0) throw ConfigError("invitations.ttl must be positive");
  if (!config.public_url.empty() && !config.public_url.starts_with("https://"))
    throw ConfigError("public_url must start with https:// (it is how agents reach this cloud)");
}

}  // namespace logbot::cloud
