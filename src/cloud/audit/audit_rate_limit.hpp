// Rate limit for audit entries an outsider can cause at will (ACCESS_DENIED): at most one
// entry per key per window; the entries not written are counted and the count goes into the
// next entry of that key, so the log stays truthful about how many there were without being
// flooded. Memory is bounded: at most `max_keys` keys; when that many are inside their window
// further new keys are not written either, and counted in `overflow` of the next entry.
#pragma once
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.hpp"

namespace logbot::cloud {

struct AuditRateLimitPolicy {
  std::int64_t window_ms = 60'000;
  std::size_t max_keys = 10'000;
};

class AuditRateLimit {
 public:
  AuditRateLimit(const Clock& clock, AuditRateLimitPolicy policy = {}) : clock_(clock), policy_(policy) {}

  struct Admission {
    std::int64_t suppressed = 0;  // entries of this key not written since its last entry
    std::int64_t overflow = 0;    // entries of any key dropped because the table was full
  };
  // An admission when an entry for `key` is to be written now; nullopt when it is suppressed.
  std::optional<Admission> admit(const std::string& key);
  std::size_t tracked_keys();

 private:
  struct Window {
    std::int64_t started_ms = 0;
    std::int64_t suppressed = 0;
  };

  const Clock& clock_;
  AuditRateLimitPolicy policy_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
  std::int64_t overflow_ = 0;
};

}  // namespace logbot::cloud
