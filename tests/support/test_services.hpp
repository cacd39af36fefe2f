// Builds a complete Services over an in-memory database with a manual clock, for tests
// that exercise the API pipeline without sockets.
#pragma once
#include <memory>
#include <string>

#include "cloud/admin/admin_commands.hpp"
#include "cloud/db/schema.hpp"
#include "cloud/services.hpp"

namespace logbot::cloud::testing {

inline constexpr std::int64_t kStartMs = 1'800'000'000'000;  // 2027-01-15
inline const std::string kAuditKey(32, 'k');
inline const std::string kSecretsKey(32, 's');

struct TestWorld {
  ManualClock clock{kStartMs};
  CloudConfig config;
  std::unique_ptr<Services> services;

  explicit TestWorld(CloudConfig base = {}) : config(std::move(base)) {
    // Cheap hashes keep unit tests fast; the production parameters have their own test.
    config.argon2.iterations = 1;
    config.argon2.memory_bytes = 8 * 1024;
    auto db = Database::open_in_memory();
    migrate(*db);
    services = std::make_unique<Services>(config, std::move(db), clock, ServiceKeys{kAuditKey, kSecretsKey});
    services->device_ca = DeviceCa::load_or_create(*services->db, kSecretsKey, clock);
    services->set_identity(
        {"https://127.0.0.1:8443", std::string(64, 'f'), "wss://127.0.0.1:8444/api/v1/devices/uplink"});
  }

  ProvisionedOrg make_org(const std::string& name, const std::string& owner_email,
                          const std::string& password = "correct horse battery") {
    auto org = provision_org(*services, name, owner_email, password, Requester{});
    if (!org) throw std::runtime_error(org.error().message);
    return *org;
  }
};

}  // namespace logbot::cloud::testing
