#include "cloud/services.hpp"

#include "cloud/db/schema.hpp"
#include "cloud/secrets/key_file.hpp"

namespace logbot::cloud {

Services::Services(const CloudConfig& config_in, std::unique_ptr<Database> database, const Clock& clock_in,
                   const ServiceKeys& keys, const std::filesystem::path& audit_anchor)
    : config(config_in),
      clock(clock_in),
      db(std::move(database)),
      hasher(config_in.argon2),
      users(*db, clock_in),
      orgs(*db, clock_in),
      invitations(*db, clock_in),
      sessions(*db, clock_in, config_in.session),
      totp(*db, clock_in, keys.secrets),
      devices(*db, clock_in),
      throttle(clock_in, config_in.lockout),
      audit(*db, clock_in, keys.audit_chain, audit_anchor),
      access_denials(clock_in),
      locked_logins(clock_in),
      metrics(clock_in.now_ms()),
      web(config_in.web_dir) {}

void Services::set_identity(Identity identity) {
  std::lock_guard lock(identity_mutex_);
  identity_ = std::move(identity);
}

Services::Identity Services::identity() const {
  std::lock_guard lock(identity_mutex_);
  return identity_;
}

std::unique_ptr<Services> open_services(const CloudConfig& config, const Clock& clock, KeyMode key_mode) {
  std::filesystem::create_directories(config.data_dir);
  std::filesystem::permissions(config.data_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
  auto db = Database::open(config.database_file());
  migrate(*db);
  // A key is created only while nothing depends on it yet: a database that already holds
  // audit entries or authenticators refuses to start without the key they were made with
  // (a forgotten key directory after a restore must not silently break the chain or 2FA).
  const bool has_audit = db->query_integer("SELECT COUNT(*) FROM audit_events").value_or(0) > 0;
  // The secrets key seals TOTP secrets and the device CA key.
  const bool has_totp = db->query_integer("SELECT COUNT(*) FROM user_totp").value_or(0) > 0 ||
                        db->query_integer("SELECT COUNT(*) FROM device_ca").value_or(0) > 0;
  ServiceKeys keys;
  keys.audit_chain = key_mode == KeyMode::kCreateIfMissing && !has_audit ? load_or_create_key(config.audit_key_file())
                                                                         : load_key(config.audit_key_file());
  // Offline tools (audit verify) need no secrets key; every other command loads or creates it.
  if (key_mode == KeyMode::kCreateIfMissing)
    keys.secrets = has_totp ? load_key(config.secrets_key_file()) : load_or_create_key(config.secrets_key_file());
  auto services = std::make_unique<Services>(config, std::move(db), clock, keys, config.audit_anchor_file());
  if (key_mode == KeyMode::kCreateIfMissing)
    services->device_ca = DeviceCa::load_or_create(*services->db, keys.secrets, clock);
  return services;
}

}  // namespace logbot::cloud
