// Operational metrics in the Prometheus text exposition format (served at /metrics).
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace logbot::cloud {

class Metrics {
 public:
  explicit Metrics(std::int64_t start_time_ms) : start_time_ms_(start_time_ms) {}
  void count_request(unsigned status);
  void count_login(bool success);
  void count_lockout() { lockouts_ += 1; }

  struct Gauges {
    std::int64_t active_sessions = 0;
    std::int64_t audit_events = 0;
  };
  std::string render(const Gauges& gauges) const;

 private:
  std::int64_t start_time_ms_;
  std::array<std::atomic<std::uint64_t>, 6> requests_by_class_{};  // index = status / 100
  std::atomic<std::uint64_t> logins_ok_{0};
  std::atomic<std::uint64_t> logins_failed_{0};
  std::atomic<std::uint64_t> lockouts_{0};
};

}  // namespace logbot::cloud
