// Device on-boarding (docs/SECURITY.md, device identity): the agent makes its key pair locally, sends a
// PKCS#10 request with CN = its UUID to POST /api/v1/enrol over a TLS connection pinned to the
// fingerprint in the enrolment token, and keeps the certificate the device CA issues. The
// private key never leaves the device; a pin mismatch stops before anything is sent.
#pragma once
#include <string>
#include <string_view>

#include "agent/state/agent_state.hpp"

namespace logbot::agent {

struct EnrolmentRequest {
  std::string token_text;  // "lbt1...." as pasted or read from a file
  bool force = false;      // enrol again (with a new key) although already enrolled
};

struct EnrolmentOutcome {
  std::string device_uuid;
  std::string device_id;
  std::string org_id;
  std::string certificate_expires_at;
};

net::Result<EnrolmentOutcome> enrol(const AgentState& state, const EnrolmentRequest& request);

// The pure pieces, for unit tests: a fresh EC P-256 key as PKCS#8 PEM, and a CSR (PEM) with
// subject CN=`common_name` signed with SHA-256 by that key.
net::Result<std::string> generate_private_key_pem();
net::Result<std::string> make_certificate_request_pem(std::string_view private_key_pem, std::string_view common_name);

}  // namespace logbot::agent
