// The device's certificate on disk during the uplink's life: when it is due for renewal (two
// thirds of its lifetime), and replacing key + certificate so that a crash at any instant
// leaves a matching pair. The new key is written first as device.key.new (0600), then the
// certificate replaces device.crt, then device.key.new is renamed over device.key; at start-up
// recover_interrupted_renewal() finishes or discards a half-done replacement.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/state/agent_state.hpp"

namespace logbot::agent {

struct CertificateValidity {
  std::int64_t not_before_ms = 0;
  std::int64_t not_after_ms = 0;
  std::string serial_hex;

  // Two thirds of the way from the start to not_after. The start is not_before, or for a
  // certificate just received the time it arrived (`received_ms`): the cloud backdates
  // not_before for clocks that run behind, and with a short lifetime that margin alone would
  // put the due time in the past, so every answer would be followed by another request.
  std::int64_t renewal_due_ms(std::int64_t received_ms = 0) const {
    const std::int64_t start = std::max(not_before_ms, std::min(received_ms, not_after_ms));
    return start + (not_after_ms - start) * 2 / 3;
  }
};

net::Result<CertificateValidity> read_certificate_validity(std::string_view certificate_pem);

// The cloud's renewed certificate must be for `key_pem` and name `device_uuid` as its CN.
net::Result<void> check_renewed_certificate(std::string_view key_pem, std::string_view certificate_pem,
                                            std::string_view device_uuid);

net::Result<void> install_renewed_identity(const AgentState& state, std::string_view key_pem,
                                           std::string_view certificate_pem, std::string_view ca_chain_pem);

net::Result<void> recover_interrupted_renewal(const AgentState& state);

}  // namespace logbot::agent
