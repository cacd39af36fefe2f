// The device lifecycle's decisions, apart from the transports that carry them: enrolment (the
// HTTP handler of POST /api/v1/enrol is its adapter), the certificate a device connection
// presents, and certificate renewal (the uplink session is their adapter). Each decision writes
// its own audit entries in the transaction that makes it, and returns a result value
// (devices/error.hpp); DatabaseError is the one exception that passes through.
//
// Renewal is acknowledged: the certificate a device renewed from stays valid until the device
// first connects with the renewed one. A connection that breaks between the answer and the
// agent storing it costs a second renewal, never a re-enrolment. At most two certificates of a
// device are ever valid, the one it uses and the one it was just given.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "cloud/devices/device_ca.hpp"
#include "cloud/devices/device_store.hpp"
#include "cloud/devices/error.hpp"

namespace logbot::cloud {
struct Services;
}

namespace logbot::cloud::devices {

struct EnrolRequest {
  std::string token_secret;
  std::string uuid;  // as the agent sent it
  std::string csr_pem;
  std::string ip;  // the agent's address, for the audit entry
};

struct Enrolled {
  Device device;
  IssuedCertificate certificate;
  std::string ca_chain_pem;
};

// Redeems the token, checks the UUID against the device and the organisation, signs the CSR and
// records the enrolment with DEVICE_ENROLLED; every refusal is an ENROLL_ERROR entry whose
// reason is code_text().
Result<Enrolled> enrol(Services& services, const EnrolRequest& request);

// Audits a refused enrolment request whose body could not be read (ENROLL_ERROR, reason
// bad_request) and returns `error`.
Error refuse_enrolment(Services& services, const std::string& ip, Error error);

// What a device connection's client certificate says (the TLS layer read it).
struct PresentedCertificate {
  std::string org_id;             // O
  std::string uuid;               // CN
  std::string serial;             // lower-case hex (tls::serial_hex)
  std::int64_t not_after_ms = 0;  // its expiry
};

// The enrolled device the certificate speaks for, if it is the device's current or previous
// certificate; unknown_certificate otherwise (revoked, replaced by a confirmed renewal, another
// CA's name). The first use of a renewed certificate confirms the renewal: the previous one
// stops working and DEVICE_CERT_RENEWAL_CONFIRMED is audited.
Result<Device> authenticate(Services& services, const PresentedCertificate& presented, const std::string& ip);

struct Renewed {
  IssuedCertificate certificate;
  std::string ca_chain_pem;
};

// At most this many certificates of one device are issued within kRenewalWindow (the enrolment's
// included): a device cannot flood its organisation's audit log or the CA with renewals.
inline constexpr int kMaximumRecentCertificates = 3;
// The window: a tenth of the certificate lifetime, at most an hour.
std::int64_t renewal_window_ms(std::int64_t lifetime_seconds);

// Signs a renewal CSR for the device of the connection (whose certificate is `presented`),
// makes it the current certificate with `presented` kept as the previous one, and audits
// DEVICE_CERT_RENEWED. Checked again in the transaction: `presented` must still be valid (not
// revoked, not retired by a confirmed renewal, not expired), else unknown_certificate and the
// session should end; renewal_too_soon past kMaximumRecentCertificates; bad_csr or uuid_mismatch
// for the CSR. A refusal leaves everything as it was.
Result<Renewed> renew(Services& services, const Device& device, const PresentedCertificate& presented,
                      std::string_view csr_pem, const std::string& ip);

}  // namespace logbot::cloud::devices
