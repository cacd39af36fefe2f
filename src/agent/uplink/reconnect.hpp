// When and where the agent dials its cloud next: "retry forever from the first attempt,
// endpoints in order, exponential backoff 1 s doubling to 60 s with full jitter". Pure (no
// clock, no I/O): the caller sleeps the delays it returns, and the random source is injected
// so tests see exact values.
//
// Full jitter (a delay drawn uniformly from [0, ceiling]) spreads a fleet of agents that lost
// their cloud at the same moment, so a restarted cloud is not met by all of them at once.
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>

namespace logbot::agent {

struct BackoffLimits {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds maximum{60000};
};

class ReconnectPolicy {
 public:
  // Uniform in [0, 1); values outside are clamped.
  using UnitRandom = std::function<double()>;

  // `endpoint_count` is at least 1 (a broken invariant otherwise: the caller checks the config).
  ReconnectPolicy(std::size_t endpoint_count, UnitRandom random, BackoffLimits limits = {});

  // The index of the endpoint to try now.
  std::size_t endpoint() const { return endpoint_; }

  // An attempt failed before the session was established: the next endpoint of the round is
  // tried at once (zero delay); after the last one, the round starts again from the first
  // after a jittered delay whose ceiling doubles with every failed round up to the maximum.
  std::chrono::milliseconds after_failure();

  // An established session ended: back to the first endpoint and the initial ceiling.
  std::chrono::milliseconds after_connection_lost();

  // The ceiling of the next round's delay (for tests and logs).
  std::chrono::milliseconds next_ceiling() const;

  // A process-wide source for production: a Mersenne Twister seeded from the OS.
  static UnitRandom default_random();

 private:
  std::chrono::milliseconds round_delay();

  std::size_t endpoint_count_;
  UnitRandom random_;
  BackoffLimits limits_;
  std::size_t endpoint_ = 0;
  unsigned failed_rounds_ = 0;
};

}  // namespace logbot::agent
