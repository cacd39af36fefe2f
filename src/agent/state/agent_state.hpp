// The agent's state directory: its identity (device-id, device.key, device.crt), the device CA
// that issued it (ca.crt) and where its cloud is (cloud.json). The directory is private (0700),
// the private key 0600 from the moment it exists; every file is replaced atomically (temporary
// file + rename), so a crash leaves either the old or the new version, never half of one.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/net/error.hpp"

namespace logbot::agent {

inline constexpr const char* kDefaultStateDir = "/var/lib/logbot-agent";

// What cloud.json records after a successful enrolment.
struct CloudBinding {
  std::string url;
  std::string fingerprint;
  std::string device_id;
  std::string org_id;
  // The device-uplink addresses the cloud announced at enrolment (wss://...), tried in order;
  // empty for a binding written before the cloud announced any.
  std::vector<std::string> uplink_urls;
};

class AgentState {
 public:
  // Creates the directory (0700) if needed, makes it private, and creates the device UUID on
  // first use. A damaged device-id is an error, never silently replaced: the UUID is the
  // device's identity in the cloud.
  static net::Result<AgentState> open(const std::filesystem::path& directory);

  const std::filesystem::path& directory() const { return directory_; }
  const std::string& device_uuid() const { return device_uuid_; }

  std::filesystem::path key_file() const { return directory_ / "device.key"; }
  std::filesystem::path certificate_file() const { return directory_ / "device.crt"; }
  std::filesystem::path ca_file() const { return directory_ / "ca.crt"; }
  std::filesystem::path cloud_file() const { return directory_ / "cloud.json"; }
  // A renewed key waits here until its certificate is in place (see uplink/device_identity.hpp).
  std::filesystem::path pending_key_file() const { return directory_ / "device.key.new"; }

  bool has_certificate() const;
  bool has_key() const;
  net::Result<std::string> read_key_pem() const;
  // The recorded binding, or nullopt when there is none (not enrolled yet).
  net::Result<std::optional<CloudBinding>> read_cloud_binding() const;

  // Atomic replacement with the given mode; the key goes through here with 0600.
  net::Result<void> write_file(const std::filesystem::path& file, std::string_view content, unsigned mode) const;
  net::Result<void> write_cloud_binding(const CloudBinding& binding) const;

 private:
  AgentState(std::filesystem::path directory, std::string device_uuid);
  std::filesystem::path directory_;
  std::string device_uuid_;
};

// RFC 4122 text form, lower case, version 4 (what device-id must hold).
bool is_canonical_uuid_v4(std::string_view text);

}  // namespace logbot::agent
