#include "cloud/config/cloud_config.hpp"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <algorithm>
#include <sstream>

#include "common/net/address.hpp"

namespace logbot::cloud {
namespace {

std::string where(const std::filesystem::path& file, const toml::source_region& region) {
  std::ostringstream out;
  out << file.string() << ":" << region.begin.line << ":" << region.begin.column;
  return out.str();
}

template <typename T>
void read(const toml::table& table, std::string_view key, T& out, const std::filesystem::path& file) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return;
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::filesystem::path>) {
    const auto value = node->value<std::string>();
    if (!value) throw ConfigError(where(file, node->source()) + ": '" + std::string(key) + "' must be a string");
    out = *value;
  } else {
    const auto value = node->value<std::int64_t>();
    if (!value || *value < 0 || *value > 2'000'000'000)
      throw ConfigError(where(file, node->source()) + ": '" + std::string(key) +
                        "' must be an integer from 0 to 2000000000");
    out = static_cast<T>(*value);
  }
}

void read_seconds(const toml::table& table, std::string_view key, std::int64_t& out_ms,
                  const std::filesystem::path& file) {
  std::int64_t seconds = -1;
  read(table, key, seconds, file);
  if (seconds >= 0) out_ms = seconds * 1000;
}

void reject_unknown(const toml::table& table, std::initializer_list<std::string_view> known,
                    const std::filesystem::path& file, std::string_view section) {
  for (const auto& [key, node] : table) {
    bool ok = false;
    for (auto k : known) ok = ok || key.str() == k;
    if (!ok)
      throw ConfigError(where(file, node.source()) + ": unknown setting '" + std::string(section) +
                        std::string(key.str()) + "' (see docs/OPERATIONS.md)");
  }
}

}  // namespace

void apply_toml_file(CloudConfig& config, const std::filesystem::path& file) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& error) {
    throw ConfigError(where(file, error.source()) + ": " + std::string(error.description()));
  }
  reject_unknown(
      root,
      {"listen", "data_dir", "key_dir", "web_dir", "log_level", "worker_threads", "max_body_bytes", "public_url", "device_listen", "tls", "session", "lockout", "devices", "invitations", "audit"},
      file, "");
  read(root, "listen", config.listen, file);
  read(root, "data_dir", config.data_dir, file);
  read(root, "key_dir", config.key_dir, file);
  read(root, "web_dir", config.web_dir, file);
  read(root, "public_url", config.public_url, file);
  read(root, "device_listen", config.device_listen, file);
  if (const toml::table* devices = root["devices"].as_table()) {
    reject_unknown(*devices, {"certificate_lifetime_days", "enrolment_token_ttl_s", "heartbeat_s", "public_url"}, file,
                   "devices.");
    read(*devices, "heartbeat_s", config.device_heartbeat_s, file);
    read(*devices, "public_url", config.device_public_url, file);
    read(*devices, "certificate_lifetime_days", config.device_certificate_days, file);
    read_seconds(*devices, "enrolment_token_ttl_s", config.enrolment_token_ttl_ms, file);
  }
  read(root, "log_level", config.log_level, file);
  read(root, "worker_threads", config.worker_threads, file);
  read(root, "max_body_bytes", config.max_body_bytes, file);
  if (const toml::table* invitations = root["invitations"].as_table()) {
    reject_unknown(*invitations, {"ttl_s"}, file, "invitations.");
    read_seconds(*invitations, "ttl_s", config.invitation_ttl_ms, file);
  }
  for (const char* section : {"tls", "session", "lockout", "devices", "invitations", "audit"})
    if (const toml::node* node = root.get(section); node != nullptr && !node->is_table())
      throw ConfigError(where(file, node->source()) + ": '" + section + "' must be a table ([" + section + "])");
  if (const toml::table* tls = root["tls"].as_table()) {
    reject_unknown(*tls, {"cert", "key"}, file, "tls.");
    read(*tls, "cert", config.tls_cert, file);
    read(*tls, "key", config.tls_key, file);
  }
  if (const toml::table* session = root["session"].as_table()) {
    reject_unknown(*session, {"idle_timeout_s", "absolute_timeout_s", "second_factor_timeout_s", "sweep_interval_s"},
                   file, "session.");
    read_seconds(*session, "sweep_interval_s", config.session.sweep_interval_ms, file);
    read_seconds(*session, "idle_timeout_s", config.session.idle_timeout_ms, file);
    read_seconds(*session, "absolute_timeout_s", config.session.absolute_timeout_ms, file);
    read_seconds(*session, "second_factor_timeout_s", config.session.second_factor_timeout_ms, file);
  }
  if (const toml::table* audit = root["audit"].as_table()) {
    reject_unknown(*audit, {"anchor_file"}, file, "audit.");
    read(*audit, "anchor_file", config.audit_anchor, file);
  }
  if (const toml::table* lockout = root["lockout"].as_table()) {
    reject_unknown(*lockout, {"account_failures", "ip_failures", "wait_s", "max_wait_s", "failure_reset_s"}, file,
                   "lockout.");
    read(*lockout, "account_failures", config.lockout.account_failure_factor, file);
    read(*lockout, "ip_failures", config.lockout.ip_failure_factor, file);
    read_seconds(*lockout, "wait_s", config.lockout.wait_increment_ms, file);
    read_seconds(*lockout, "max_wait_s", config.lockout.max_wait_ms, file);
    read_seconds(*lockout, "failure_reset_s", config.lockout.failure_reset_ms, file);
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
    throw ConfigError("session.sweep_interval_s must be between 1 and 3600");
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
    throw ConfigError("devices.heartbeat_s must be between 1 and 3600");
  if (config.enrolment_token_ttl_ms <= 0) throw ConfigError("devices.enrolment_token_ttl_s must be positive");
  if (config.invitation_ttl_ms <= 0) throw ConfigError("invitations.ttl_s must be positive");
  if (!config.public_url.empty() && !config.public_url.starts_with("https://"))
    throw ConfigError("public_url must start with https:// (it is how agents reach this cloud)");
}

}  // namespace logbot::cloud
