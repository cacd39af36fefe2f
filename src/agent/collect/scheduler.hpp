// The poll scheduler: one worker thread per PLC connection runs that PLC's poll groups on a
// steady-clock deadline schedule, applies scale/offset, filters by exception (deadband) and
// hands readings and connection state changes to a sink. It never writes to a PLC.
//
// Schedule: a group's next due time is its previous due time plus its interval, so the
// schedule does not drift with the cycle's duration. A cycle that ends after its next due
// time is an overrun: the missed due times are skipped (never two cycles back to back to
// catch up). Jitter is the actual start minus the due time.
//
// The pure parts (next_due, the report filter, scaling, jitter statistics, the reconnect
// delay) are free functions and small classes so tests exercise them without threads.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "agent/collect/collect_config.hpp"
#include "agent/collect/driver.hpp"
#include "agent/collect/value.hpp"
#include "common/clock.hpp"

namespace logbot::agent::collect {

using SteadyClock = std::chrono::steady_clock;
using SteadyTime = SteadyClock::time_point;

// ---- pure parts ----

struct NextDue {
  SteadyTime due;
  std::uint64_t missed = 0;  // due times skipped because the cycle ended after them
};

// After a cycle that was due at `due` ended at `end`: the first time due + k * interval
// (k >= 1) that is not before `end`. missed = k - 1; a cycle with missed > 0 overran.
NextDue next_due(SteadyTime due, SteadyTime end, SteadyClock::duration interval);

// Report-by-exception: the first reading of a tag is always reported; then a reading is
// reported when the value moved beyond the deadband since the last *reported* one (so a slow
// drift is reported once it adds up), or its quality or status changed, or always when the
// group reports every reading.
bool should_report(const std::optional<Reading>& last_reported, const Reading& next, double deadband,
                   bool report_always);

// value * scale + offset for good numeric readings (the result is a double); others unchanged.
Reading apply_scaling(Reading reading, double scale, double offset);

// The delay before the next connection attempt to a PLC: exponential backoff from
// reconnect_min doubling up to reconnect_max, with "equal jitter" (uniform in the upper half of
// the current ceiling, never below reconnect_min). Unlike the uplink's full jitter
// (agent/uplink/reconnect.hpp), a PLC is never redialled at once: many controllers need a
// moment to release a connection resource after a drop. The random source is injected.
class ReconnectDelay {
 public:
  using UnitRandom = std::function<double()>;  // uniform in [0, 1)
  ReconnectDelay(Milliseconds minimum, Milliseconds maximum, UnitRandom random);
  Milliseconds next();    // after a failed attempt; the ceiling doubles each time
  void reset() noexcept;  // after a successful poll
  Milliseconds ceiling() const noexcept;

 private:
  Milliseconds minimum_;
  Milliseconds maximum_;
  UnitRandom random_;
  unsigned failures_ = 0;
};

struct JitterSummary {
  std::uint64_t count = 0;
  double mean_ms = 0;
  double p99_ms = 0;  // over the last kJitterWindow cycles
  double max_ms = 0;
};

// Start jitter of one poll group: count, mean and maximum since start; the 99th percentile
// over a ring of the last cycles (exact, and cheap: sorted only when a summary is taken).
class JitterStatistics {
 public:
  static constexpr std::size_t kJitterWindow = 1000;
  void add(SteadyClock::duration jitter);
  JitterSummary summary() const;

 private:
  std::uint64_t count_ = 0;
  double sum_ms_ = 0;
  double max_ms_ = 0;
  std::vector<double> window_ms_;  // ring, at most kJitterWindow
  std::size_t next_slot_ = 0;
};

// ---- interfaces ----

struct TagReading {
  std::size_t tag = 0;  // index into CollectConfig::tags
  Reading reading;
};

// Receives what the workers deliver. Called from the worker threads (one per PLC), possibly
// at the same time: implementations synchronise themselves and return quickly.
class ReadingSink {
 public:
  virtual ~ReadingSink() = default;
  virtual void on_readings(std::span<const TagReading> readings) = 0;
  // `message`: the driver's description when connected, the connection error when not.
  virtual void on_connection_state(std::size_t plc, bool connected, const std::string& message) = 0;
};

// ---- statistics ----

struct GroupStatistics {
  std::size_t group = 0;  // index into CollectConfig::groups
  std::size_t tags = 0;
  std::uint64_t cycles = 0;
  std::uint64_t overruns = 0;  // cycles that ended after their next due time
  JitterSummary jitter;
  unsigned round_trips = 0;          // of the last cycle
  unsigned minimum_round_trips = 0;  // of the last cycle; 0: not known
  unsigned items = 0;                // of the last cycle
  std::size_t bytes = 0;             // of the last cycle
  double last_cycle_ms = 0;
};

struct PlcStatistics {
  std::size_t plc = 0;  // index into CollectConfig::plcs
  bool connected = false;
  std::uint64_t reconnects = 0;  // connections made again after a loss
  std::vector<GroupStatistics> groups;
};

// ---- the scheduler ----

class Scheduler {
 public:
  // `config` must outlive the scheduler; so must `sink` and `clock` (it stamps the bad
  // readings of a lost connection; the drivers stamp their own).
  Scheduler(const CollectConfig& config, ReadingSink& sink, DriverFactory factory, const Clock& clock);
  ~Scheduler();  // stops
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts one worker per PLC that has tags. Call once.
  void start();
  // Wakes every worker and joins it; returns once the drivers' calls in progress (each bounded
  // by its timeout) have returned. Idempotent.
  void stop();

  std::vector<PlcStatistics> statistics() const;

 private:
  class Worker;
  const CollectConfig& config_;
  ReadingSink& sink_;
  DriverFactory factory_;
  const Clock& clock_;
  std::mutex stop_mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace logbot::agent::collect
