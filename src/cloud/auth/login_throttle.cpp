#include "cloud/auth/login_throttle.hpp"

#include <algorithm>
#include <vector>

namespace logbot::cloud {
namespace {

std::string account_key(const std::string& account) {
  std::string key = "account:";
  for (char c : account) key.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  return key;
}

std::string ip_key(const std::string& ip) {
  return "ip:" + ip;
}

}  // namespace

std::optional<std::int64_t> LoginThrottle::retry_after_ms(const std::string& account, const std::string& ip) {
  std::lock_guard lock(mutex_);
  const std::int64_t now = clock_.now_ms();
  std::int64_t wait = 0;
  for (const std::string& key : {account_key(account), ip_key(ip)}) {
    const auto it = entries_.find(key);
    if (it != entries_.end() && it->second.locked_until_ms > now)
      wait = std::max(wait, it->second.locked_until_ms - now);
  }
  if (wait > 0) return wait;
  return std::nullopt;
}

std::optional<std::int64_t> LoginThrottle::bump(const std::string& key, int failure_factor, int& failures_out) {
  const std::int64_t now = clock_.now_ms();
  Entry& entry = entries_[key];
  if (entry.failures > 0 && now - entry.last_failure_ms > policy_.failure_reset_ms) entry = Entry{};
  entry.failures += 1;
  entry.last_failure_ms = now;
  failures_out = entry.failures;
  if (failure_factor > 0 && entry.failures % failure_factor == 0) {
    const std::int64_t wait =
        std::min(policy_.wait_increment_ms * (entry.failures / failure_factor), policy_.max_wait_ms);
    entry.locked_until_ms = now + wait;
    return wait;
  }
  return std::nullopt;
}

LoginThrottle::FailureOutcome LoginThrottle::record_failure(const std::string& account, const std::string& ip) {
  std::lock_guard lock(mutex_);
  evict_if_full(clock_.now_ms());
  FailureOutcome outcome;
  if (auto wait = bump(account_key(account), policy_.account_failure_factor, outcome.account_failures)) {
    outcome.locked_for_ms = wait;
    outcome.account_locked = true;
  }
  if (auto wait = bump(ip_key(ip), policy_.ip_failure_factor, outcome.ip_failures)) {
    outcome.locked_for_ms = std::max(outcome.locked_for_ms.value_or(0), *wait);
    outcome.ip_locked = true;
  }
  return outcome;
}

void LoginThrottle::record_success(const std::string& account) {
  std::lock_guard lock(mutex_);
  entries_.erase(account_key(account));
}

std::size_t LoginThrottle::tracked_keys() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void LoginThrottle::evict_if_full(std::int64_t now) {
  if (entries_.size() < policy_.max_tracked_keys) return;
  // Forget entries that are neither locked nor recent; if that frees nothing, the oldest half.
  std::erase_if(entries_, [&](const auto& item) {
    return item.second.locked_until_ms <= now && now - item.second.last_failure_ms > policy_.wait_increment_ms;
  });
  if (entries_.size() < policy_.max_tracked_keys) return;
  std::vector<std::int64_t> times;
  times.reserve(entries_.size());
  for (const auto& item : entries_) times.push_back(item.second.last_failure_ms);
  std::nth_element(times.begin(), times.begin() + static_cast<long>(times.size() / 2), times.end());
  const std::int64_t median = times[times.size() / 2];
  std::erase_if(entries_, [&](const auto& item) {
    return item.second.locked_until_ms <= now && item.second.last_failure_ms <= median;
  });
}

}  // namespace logbot::cloud
