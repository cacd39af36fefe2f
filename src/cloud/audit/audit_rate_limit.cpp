#include "cloud/audit/audit_rate_limit.hpp"

namespace logbot::cloud {

std::optional<AuditRateLimit::Admission> AuditRateLimit::admit(const std::string& key) {
  std::lock_guard lock(mutex_);
  const std::int64_t now = clock_.now_ms();
  auto it = windows_.find(key);
  if (it != windows_.end() && now - it->second.started_ms < policy_.window_ms) {
    ++it->second.suppressed;
    return std::nullopt;
  }
  Admission admission;
  if (it != windows_.end()) {
    admission.suppressed = it->second.suppressed;
    it->second = Window{now, 0};
  } else {
    if (windows_.size() >= policy_.max_keys) {
      // A window that has ended holds at most a count for its next entry; dropping it loses
      // that count, so it moves to the overflow count instead.
      std::erase_if(windows_, [&](const auto& item) {
        if (now - item.second.started_ms < policy_.window_ms) return false;
        overflow_ += item.second.suppressed;
        return true;
      });
      if (windows_.size() >= policy_.max_keys) {
        ++overflow_;
        return std::nullopt;
      }
    }
    windows_.emplace(key, Window{now, 0});
  }
  admission.overflow = overflow_;
  overflow_ = 0;
  return admission;
}

std::size_t AuditRateLimit::tracked_keys() {
  std::lock_guard lock(mutex_);
  return windows_.size();
}

}  // namespace logbot::cloud
