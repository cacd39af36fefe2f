#include "agent/uplink/renewal_schedule.hpp"

#include <algorithm>
#include <utility>

namespace logbot::agent::uplink {

bool RenewalSchedule::request_due() const {
  const std::int64_t now = clock_.now_ms();
  return pending() ? now - requested_ms_ > kAnswerTimeoutMs : now >= due_ms_;
}

std::int64_t RenewalSchedule::ms_until_due() const {
  const std::int64_t now = clock_.now_ms();
  const std::int64_t at = pending() ? requested_ms_ + kAnswerTimeoutMs + 1 : due_ms_;
  return std::max<std::int64_t>(0, at - now);
}

void RenewalSchedule::requested(std::string key_pem) {
  key_pem_ = std::move(key_pem);
  requested_ms_ = clock_.now_ms();
}

std::optional<std::string> RenewalSchedule::take_key() {
  std::optional<std::string> key = std::move(key_pem_);
  key_pem_.reset();
  return key;
}

void RenewalSchedule::retry_later() {
  key_pem_.reset();
  due_ms_ = clock_.now_ms() + kRetryMs;
}

void RenewalSchedule::renewed(std::int64_t next_due_ms) {
  key_pem_.reset();
  due_ms_ = next_due_ms;
}

}  // namespace logbot::agent::uplink
