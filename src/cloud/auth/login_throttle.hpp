// Brute-force protection modelled on Keycloak's: failures are counted per account (by the
// e-mail as typed, so unknown accounts behave exactly like known ones) and per source IP;
// every `failure_factor` failures lock the key for a wait that grows by `wait_increment`
// up to `max_wait`; failures older than `failure_reset` are forgotten.
#pragma once
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.hpp"

namespace logbot::cloud {

struct LockoutPolicy {
  int account_failure_factor = 5;
  int ip_failure_factor = 20;
  std::int64_t wait_increment_ms = 60'000;
  std::int64_t max_wait_ms = std::int64_t{15} * 60'000;
  std::int64_t failure_reset_ms = std::int64_t{12} * 3600'000;
  std::size_t max_tracked_keys = 100'000;
};

class LoginThrottle {
 public:
  LoginThrottle(const Clock& clock, LockoutPolicy policy) : clock_(clock), policy_(policy) {}

  // Milliseconds the caller must wait before another attempt, or nullopt when allowed.
  std::optional<std::int64_t> retry_after_ms(const std::string& account, const std::string& ip);

  struct FailureOutcome {
    // Set when this failure started a lockout: how long, and what was locked.
    std::optional<std::int64_t> locked_for_ms;
    bool account_locked = false;
    bool ip_locked = false;
    int account_failures = 0;  // the account's count, including this failure
    int ip_failures = 0;       // the source address's count, including this failure
  };
  FailureOutcome record_failure(const std::string& account, const std::string& ip);
  void record_success(const std::string& account);

  // How many accounts and addresses are counted now (bounded by max_tracked_keys + 1).
  std::size_t tracked_keys() const;

 private:
  struct Entry {
    int failures = 0;
    std::int64_t last_failure_ms = 0;
    std::int64_t locked_until_ms = 0;
  };
  std::optional<std::int64_t> bump(const std::string& key, int failure_factor, int& failures_out);
  void evict_if_full(std::int64_t now);

  const Clock& clock_;
  LockoutPolicy policy_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace logbot::cloud
