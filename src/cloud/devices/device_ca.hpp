// The cloud's device certificate authority: an ECDSA P-256 CA whose private key is kept in
// the database only sealed under the secrets key (outside the database). It turns an agent's
// CSR into a client certificate naming the device UUID and its organisation.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cloud/devices/error.hpp"
#include "common/clock.hpp"

namespace logbot::cloud {
class Database;

struct IssuedCertificate {
  std::string certificate_pem;
  std::string serial;  // lower-case hex
  std::int64_t not_after_ms = 0;
};

class DeviceCa {
 public:
  // Loads the CA, creating it (10-year lifetime) when the database has none.
  static std::unique_ptr<DeviceCa> load_or_create(Database& db, std::string_view secrets_key, const Clock& clock);
  ~DeviceCa();
  DeviceCa(const DeviceCa&) = delete;
  DeviceCa& operator=(const DeviceCa&) = delete;

  const std::string& certificate_pem() const { return certificate_pem_; }
  // Checks the CSR (PEM PKCS#10, ECDSA P-256, self-signature, CN = `device_uuid`) and signs
  // a client certificate: CN=uuid, O=org, SAN URI:urn:uuid:UUID, clientAuth, `lifetime_seconds`.
  // bad_csr or uuid_mismatch, with a sentence for the agent's operator, otherwise.
  devices::Result<IssuedCertificate> issue(std::string_view csr_pem, const std::string& device_uuid,
                                           const std::string& org_id, std::int64_t lifetime_seconds) const;

 private:
  struct Keys;
  DeviceCa(std::string certificate_pem, std::unique_ptr<Keys> keys, const Clock& clock);
  std::string certificate_pem_;
  std::unique_ptr<Keys> keys_;
  const Clock& clock_;
};

// Parses untrusted CSR text: the CN of a CSR whose self-signature verifies and whose key is
// ECDSA P-256; bad_csr otherwise. Pure (fuzzed).
devices::Result<std::string> inspect_csr(std::string_view csr_pem);

}  // namespace logbot::cloud
