// The device's certificate on disk during the uplink's life: when it is due for renewal (two
// thirds of its lifetime), and replacing key + certificate so that a crash at any instant
// leaves a matching pair. The new key is written first as device.key.new (0600), then the
// certificate replaces device.crt, then device.key.new is renamed over device.key; at start-up
// recover_interrupted_renewal() finishes or discards a half-done replacement.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/state/agent_state.hpp"

namespace logbot::agent {

struct CertificateValidity {
  std::int64_t not_before_ms = 0;
  std::int64_t not_after_ms = 0;
  std::string serial_hex;

  // Two thirds of the way from not_before to not_after.
  std::int64_t renewal_due_ms() const { return not_before_ms + (not_after_ms - not_before_ms) * 2 / 3; }
};

UserResult<CertificateValidity> read_certificate_validity(std::string_view certificate_pem);

// The cloud's renewed certificate must be for `key_pem` and name `device_uuid` as its CN.
UserResult<void> check_renewed_certificate(std::string_view key_pem, std::string_view certificate_pem,
                                           std::string_view device_uuid);

UserResult<void> install_renewed_identity(const AgentState& state, std::string_view key_pem,
                                          std::string_view certificate_pem, std::string_view ca_chain_pem);

UserResult<void> recover_interrupted_renewal(const AgentState& state);

}  // namespace logbot::agent
