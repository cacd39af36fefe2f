#include "agent/uplink/reconnect.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <memory>
#include <random>

namespace logbot::agent {

ReconnectPolicy::ReconnectPolicy(std::size_t endpoint_count, UnitRandom random, BackoffLimits limits)
    : endpoint_count_(std::max<std::size_t>(endpoint_count, 1)), random_(std::move(random)), limits_(limits) {
  assert(endpoint_count > 0);
  if (limits_.initial.count() < 1) limits_.initial = std::chrono::milliseconds(1);
  if (limits_.maximum < limits_.initial) limits_.maximum = limits_.initial;
}

std::chrono::milliseconds ReconnectPolicy::next_ceiling() const {
  // Doubling stops at the maximum; the shift is bounded so it never overflows.
  const unsigned shift = std::min(failed_rounds_, 40u);
  const long double ceiling =
      static_cast<long double>(limits_.initial.count()) * std::ldexp(1.0L, static_cast<int>(shift));
  return ceiling >= static_cast<long double>(limits_.maximum.count())
             ? limits_.maximum
             : std::chrono::milliseconds(static_cast<std::int64_t>(ceiling));
}

std::chrono::milliseconds ReconnectPolicy::round_delay() {
  const auto ceiling = next_ceiling();
  if (failed_rounds_ < 64) ++failed_rounds_;
  double unit = random_ ? random_() : 0.0;
  if (!(unit >= 0.0)) unit = 0.0;  // also NaN
  if (unit >= 1.0) unit = std::nextafter(1.0, 0.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(unit * static_cast<double>(ceiling.count() + 1)));
}

std::chrono::milliseconds ReconnectPolicy::after_failure() {
  if (++endpoint_ < endpoint_count_) return std::chrono::milliseconds(0);
  endpoint_ = 0;
  return round_delay();
}

std::chrono::milliseconds ReconnectPolicy::after_connection_lost() {
  endpoint_ = 0;
  failed_rounds_ = 0;
  return round_delay();
}

ReconnectPolicy::UnitRandom ReconnectPolicy::default_random() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine]() { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

}  // namespace logbot::agent
