// logbot-cloud settings: built-in defaults < TOML file < LOGBOT_* environment < flags.
// Every duration in the file is a string with one unit ("10s", "250ms", "2m", "7d"); the older
// integer keys of seconds (`idle_timeout_s = 600`) are still read and reported as deprecated.
#pragma once
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cloud/auth/login_throttle.hpp"
#include "cloud/auth/password_hasher.hpp"
#include "cloud/auth/session_store.hpp"
#include "cloud/config/timeouts.hpp"
#include "common/config/config_error.hpp"

namespace logbot::cloud {

using config::ConfigError;

struct CloudConfig {
  std::string listen = "127.0.0.1:8443";
  std::filesystem::path data_dir = "logbot-data";
  std::filesystem::path tls_cert;  // empty: self-signed certificate in DATA_DIR/tls/
  std::filesystem::path tls_key;
  std::filesystem::path web_dir;       // empty: found next to the executable
  std::filesystem::path key_dir;       // empty: DATA_DIR/keys
  std::filesystem::path audit_anchor;  // empty: KEY_DIR/audit-anchor.log (see audit_anchor_file())
  std::string log_level = "info";
  int worker_threads = 2;
  std::size_t max_body_bytes = std::size_t{1024} * 1024;
  std::string public_url;  // how agents reach this cloud; empty: the address it listens on
  int device_certificate_days = 365;
  std::int64_t device_certificate_lifetime_s = 0;  // tests: overrides the days when > 0
  std::string device_listen;      // the devices' mTLS uplink listener; empty: see effective_device_listen()
  std::string device_public_url;  // wss://... announced to agents; empty: device_listen
  int device_heartbeat_s = 10;
  std::int64_t device_certificate_lifetime() const {
    return device_certificate_lifetime_s > 0 ? device_certificate_lifetime_s
                                             : std::int64_t{device_certificate_days} * 24 * 3600;
  }
  std::int64_t enrolment_token_ttl_ms = std::int64_t{24} * 3600'000;
  // How long an invitation to an organisation (and its one-time link) stays valid.
  std::int64_t invitation_ttl_ms = std::int64_t{7} * 24 * 3600'000;
  SessionPolicy session;
  LockoutPolicy lockout;
  Argon2Parameters argon2;
  HttpTimeouts http;
  DeviceTimeouts device_timeouts;
  // Deprecated spellings met in the file, one sentence each with FILE:LINE:COLUMN and the new
  // spelling; `serve` logs them once at start.
  std::vector<std::string> deprecations;

  // device_listen, or the listen address with the next port (port 0 stays 0: any free port).
  std::string effective_device_listen() const;
  std::filesystem::path database_file() const { return data_dir / "logbot.db"; }
  std::filesystem::path effective_key_dir() const { return key_dir.empty() ? data_dir / "keys" : key_dir; }
  std::filesystem::path audit_key_file() const { return effective_key_dir() / "audit-chain.key"; }
  std::filesystem::path secrets_key_file() const { return effective_key_dir() / "secrets.key"; }
  // Next to the audit key by default: whoever can rewrite the database but not the key
  // directory can then not shorten the anchor either (docs/SECURITY.md).
  std::filesystem::path audit_anchor_file() const {
    return audit_anchor.empty() ? effective_key_dir() / "audit-anchor.log" : audit_anchor;
  }
};

// Throws ConfigError naming the file, line and column of the first problem.
void apply_toml_file(CloudConfig& config, const std::filesystem::path& file);
// Reads LOGBOT_LISTEN, LOGBOT_DATA_DIR, LOGBOT_KEY_DIR, LOGBOT_TLS_CERT, LOGBOT_TLS_KEY, LOGBOT_WEB_DIR,
// LOGBOT_LOG_LEVEL.
void apply_environment(CloudConfig& config, const std::function<std::optional<std::string>(const char*)>& getenv);
// Checks cross-field rules; throws ConfigError saying what to fix.
void validate(const CloudConfig& config);

}  // namespace logbot::cloud
