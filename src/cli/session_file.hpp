// The CLI's stored login: $LOGBOT_CONFIG_DIR/session.json (default ~/.config/logbot/session.json).
// It holds a bearer credential, so the directory is 0700 and the file 0600 from its creation on.
#pragma once
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "common/net/error.hpp"

namespace logbot::cli {

struct StoredSession {
  std::string url;         // https://host:port
  std::string cookie;      // value of __Host-logbot_session
  std::string csrf_token;  // X-CSRF-Token for state-changing requests
  std::string ca_file;     // absolute path, empty: system trust store
  std::string email;
};

using EnvironmentLookup = std::function<std::optional<std::string>(const char* name)>;

// $LOGBOT_CONFIG_DIR/session.json, else $HOME/.config/logbot/session.json.
net::Result<std::filesystem::path> session_file_path(const EnvironmentLookup& environment);

// nullopt when there is no file (not logged in); an error when it is unreadable or damaged.
net::Result<std::optional<StoredSession>> load_session(const std::filesystem::path& file);
// Creates the directory (0700) if needed and replaces the file atomically (0600).
net::Result<void> save_session(const std::filesystem::path& file, const StoredSession& session);
// Removing a missing file is not an error.
net::Result<void> remove_session(const std::filesystem::path& file);

}  // namespace logbot::cli
