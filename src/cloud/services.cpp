#include "cloud/services.hpp"

#include "cloud/db/schema.hpp"
#include "cloud/secrets/key_file.hpp"

namespace logbot::cloud {

Services::Services(const CloudConfig& config_in, std::unique_ptr<Database> database, const Clock& clock_in,
                   const ServiceKeys& keys)
    : config(config_in),
      clock(clock_in),
      db(std::move(database)),
      hasher(config_in.argon2),
      users(*db, clock_in),
      orgs(*db, clock_in),
      sessions(*db, clock_in, config_in.session),
      totp(*db, clock_in, keys.secrets),
      throttle(clock_in, config_in.lockout),
      audit(*db, clock_in, keys.audit_chain),
      metrics(clock_in.now_ms()),
      web(config_in.web_dir) {}

std::unique_ptr<Services> open_services(const CloudConfig& config, const Clock& clock, KeyMode key_mode) {
  std::filesystem::create_directories(config.data_dir);
  std::filesystem::permissions(config.data_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
  auto db = Database::open(config.database_file());
  migrate(*db);
  ServiceKeys keys;
  keys.audit_chain = key_mode == KeyMode::kCreateIfMissing ? load_or_create_key(config.audit_key_file())
                                                           : load_key(config.audit_key_file());
  // Offline tools need no secrets key; the server creates it at first start.
  if (key_mode == KeyMode::kCreateIfMissing) keys.secrets = load_or_create_key(config.secrets_key_file());
  return std::make_unique<Services>(config, std::move(db), clock, keys);
}

}  // namespace logbot::cloud
