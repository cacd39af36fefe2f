// Everything a request handler or admin command needs, built once at start-up and passed
// explicitly (no globals).
#pragma once
#include <memory>
#include <mutex>

#include "cloud/audit/audit_log.hpp"
#include "cloud/audit/audit_rate_limit.hpp"
#include "cloud/auth/login_throttle.hpp"
#include "cloud/auth/password_hasher.hpp"
#include "cloud/auth/session_store.hpp"
#include "cloud/auth/totp_store.hpp"
#include "cloud/config/cloud_config.hpp"
#include "cloud/db/database.hpp"
#include "cloud/devices/device_ca.hpp"
#include "cloud/devices/device_connections.hpp"
#include "cloud/devices/device_store.hpp"
#include "cloud/http/static_files.hpp"
#include "cloud/identity/invitation_store.hpp"
#include "cloud/identity/org_store.hpp"
#include "cloud/identity/user_store.hpp"
#include "cloud/metrics/metrics.hpp"
#include "common/clock.hpp"

namespace logbot::cloud {

// Keys read from files outside the database (secrets/key_file.hpp).
struct ServiceKeys {
  std::string audit_chain;
  std::string secrets;  // seals TOTP secrets, keys the recovery-code hashes
};

struct Services {
  // `audit_anchor`: the audit anchor file (empty: none, as in unit tests).
  Services(const CloudConfig& config, std::unique_ptr<Database> database, const Clock& clock, const ServiceKeys& keys,
           const std::filesystem::path& audit_anchor = {});

  const CloudConfig& config;
  const Clock& clock;
  std::unique_ptr<Database> db;
  PasswordHasher hasher;
  UserStore users;
  OrgStore orgs;
  InvitationStore invitations;
  SessionStore sessions;
  TotpStore totp;
  DeviceStore devices;
  DeviceConnections device_connections;
  std::unique_ptr<DeviceCa> device_ca;  // absent in offline tools
  LoginThrottle throttle;
  AuditLog audit;
  AuditRateLimit access_denials;  // ACCESS_DENIED entries per (actor, route, reason)
  AuditRateLimit locked_logins;   // LOGIN_ERROR temporarily_locked entries per source address
  Metrics metrics;
  http::StaticFiles web;

  // How agents reach this cloud and recognise it: its URL and the SHA-256 fingerprint of its
  // TLS certificate, which every enrolment token carries. Set once the server listens.
  struct Identity {
    std::string url;
    std::string certificate_fingerprint;
    std::string uplink_url;  // wss://.../api/v1/devices/uplink
  };
  void set_identity(Identity identity);
  Identity identity() const;

 private:
  mutable std::mutex identity_mutex_;
  Identity identity_;
};

enum class KeyMode { kCreateIfMissing, kMustExist };

// Creates the data directory (0700), opens and migrates the database, loads the keys
// (creating them on first start with kCreateIfMissing).
std::unique_ptr<Services> open_services(const CloudConfig& config, const Clock& clock,
                                        KeyMode key_mode = KeyMode::kCreateIfMissing);

}  // namespace logbot::cloud
