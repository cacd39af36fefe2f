#include "agent/collect/scheduler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <random>

namespace logbot::agent::collect {

// ---- pure parts ----

NextDue next_due(SteadyTime due, SteadyTime end, SteadyClock::duration interval) {
  if (interval <= SteadyClock::duration::zero()) interval = SteadyClock::duration(1);  // broken config; never spin
  if (end <= due + interval) return {due + interval, 0};
  // The cycle ended after its next due time: skip to the first due time not before `end`.
  const auto elapsed = end - due;
  auto steps = elapsed / interval;
  if (elapsed % interval != SteadyClock::duration::zero()) ++steps;
  return {due + steps * interval, static_cast<std::uint64_t>(steps - 1)};
}

bool should_report(const std::optional<Reading>& last_reported, const Reading& next, double deadband,
                   bool report_always) {
  if (!last_reported || report_always) return true;
  if (last_reported->quality != next.quality || last_reported->status != next.status) return true;
  if (next.quality != Quality::good) return false;  // still bad for the same reason
  return changed(*last_reported, next, deadband);
}

Reading apply_scaling(Reading reading, double scale, double offset) {
  if (reading.quality != Quality::good || (scale == 1 && offset == 0)) return reading;
  std::optional<double> number;
  if (const auto* value = std::get_if<std::int64_t>(&reading.value)) number = static_cast<double>(*value);
  if (const auto* value = std::get_if<std::uint64_t>(&reading.value)) number = static_cast<double>(*value);
  if (const auto* value = std::get_if<double>(&reading.value)) number = *value;
  if (number) reading.value = *number * scale + offset;
  return reading;
}

ReconnectDelay::ReconnectDelay(Milliseconds minimum, Milliseconds maximum, UnitRandom random)
    : minimum_(std::max(minimum, Milliseconds(1))), maximum_(std::max(maximum, minimum_)), random_(std::move(random)) {}

Milliseconds ReconnectDelay::ceiling() const noexcept {
  // Doubling stops at the maximum; the shift is bounded so it never overflows.
  const unsigned shift = std::min(failures_, 40u);
  const long double ceiling = static_cast<long double>(minimum_.count()) * std::ldexp(1.0L, static_cast<int>(shift));
  return ceiling >= static_cast<long double>(maximum_.count()) ? maximum_
                                                               : Milliseconds(static_cast<std::int64_t>(ceiling));
}

Milliseconds ReconnectDelay::next() {
  const Milliseconds ceiling = this->ceiling();
  if (failures_ < 64) ++failures_;
  double unit = random_ ? random_() : 0.0;
  if (!(unit >= 0.0)) unit = 0.0;  // also NaN
  if (unit > 1.0) unit = 1.0;
  const auto half = ceiling.count() / 2;
  const auto delay = Milliseconds(half + static_cast<std::int64_t>(unit * static_cast<double>(ceiling.count() - half)));
  return std::clamp(delay, minimum_, maximum_);
}

void ReconnectDelay::reset() noexcept {
  failures_ = 0;
}

void JitterStatistics::add(SteadyClock::duration jitter) {
  const double ms = std::max(0.0, std::chrono::duration<double, std::milli>(jitter).count());
  ++count_;
  sum_ms_ += ms;
  max_ms_ = std::max(max_ms_, ms);
  if (window_ms_.size() < kJitterWindow) {
    window_ms_.push_back(ms);
  } else {
    window_ms_[next_slot_] = ms;
    next_slot_ = (next_slot_ + 1) % kJitterWindow;
  }
}

JitterSummary JitterStatistics::summary() const {
  JitterSummary summary;
  summary.count = count_;
  if (count_ == 0) return summary;
  summary.mean_ms = sum_ms_ / static_cast<double>(count_);
  summary.max_ms = max_ms_;
  // Nearest rank: the smallest sample with at least 99 % of the window at or below it.
  std::vector<double> sorted = window_ms_;
  const std::size_t rank = (sorted.size() * 99 + 99) / 100;  // ceil(0.99 * n), at least 1
  const auto nth = sorted.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::nth_element(sorted.begin(), nth, sorted.end());
  summary.p99_ms = *nth;
  return summary;
}

// ---- the worker of one PLC connection ----

namespace {

// "500ms", "1s", "2m", "1h": the units agent.toml uses.
std::string duration_text(Milliseconds value) {
  const auto ms = value.count();
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace

class Scheduler::Worker {
 public:
  Worker(Scheduler& owner, std::size_t plc, std::vector<std::size_t> tags)
      : owner_(owner),
        config_(owner.config_),
        plc_(plc),
        tags_(std::move(tags)),
        last_reported_(tags_.size()),
        backoff_(config_.plcs[plc].reconnect_min, config_.plcs[plc].reconnect_max, unit_random()) {
    // One schedule per poll group that has tags on this PLC, in the order of the groups.
    for (std::size_t group = 0; group < config_.groups.size(); ++group) {
      GroupState state;
      state.group = group;
      for (std::size_t local = 0; local < tags_.size(); ++local)
        if (config_.tags[tags_[local]].group == group) state.local_tags.push_back(local);
      if (state.local_tags.empty()) continue;
      state.statistics.group = group;
      state.statistics.tags = state.local_tags.size();
      groups_.push_back(std::move(state));
    }
  }

  // An exception escaping a thread's function calls std::terminate: every one is caught here.
  void run() noexcept {
    try {
      poll();
    } catch (const std::exception& error) {
      stopped_by(error.what());
    } catch (...) {
      stopped_by("an exception that is not a std::exception");
    }
  }

  PlcStatistics statistics() const {
    std::lock_guard lock(statistics_mutex_);
    PlcStatistics statistics;
    statistics.plc = plc_;
    statistics.connected = link_ == Link::up;
    statistics.reconnects = reconnects_;
    for (const auto& group : groups_) {
      GroupStatistics copy = group.statistics;
      copy.jitter = group.jitter.summary();
      statistics.groups.push_back(std::move(copy));
    }
    return statistics;
  }

 private:
  enum class Link { unknown, up, down };

  struct GroupState {
    std::size_t group = 0;
    std::vector<std::size_t> local_tags;  // indexes into tags_ (the driver's tag list)
    SteadyTime due{};
    GroupStatistics statistics;  // guarded by statistics_mutex_
    JitterStatistics jitter;     // guarded by statistics_mutex_
  };

  static ReconnectDelay::UnitRandom unit_random() {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    return [engine]() { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
  }

  const std::string& name() const { return config_.plcs[plc_].name; }

  // Sleeps until `time` or until stop(); false when stopping.
  bool wait_until(SteadyTime time) {
    std::unique_lock lock(owner_.stop_mutex_);
    if (time == SteadyTime::max())
      owner_.stop_signal_.wait(lock, [this] { return owner_.stopping_; });
    else
      owner_.stop_signal_.wait_until(lock, time, [this] { return owner_.stopping_; });
    return !owner_.stopping_;
  }

  void poll() {
    driver_ = owner_.factory_ ? owner_.factory_(config_, plc_, tags_) : nullptr;
    if (!driver_) {
      const auto& plc = config_.plcs[plc_];
      on_failure("PLC '" + plc.name + "': this build of logbot-agent has no " +
                 (std::holds_alternative<S7Connection>(plc.protocol) ? "S7" : "Modbus TCP") + " driver");
      wait_until(SteadyTime::max());
      return;
    }
    SteadyTime retry_at = SteadyClock::now();
    while (true) {
      if (link_ != Link::up) {
        if (!wait_until(retry_at)) break;
        auto connected = driver_->connect();
        if (!connected) {
          on_failure(connected.error().message);
          retry_at = SteadyClock::now() + backoff_.next();
          continue;
        }
        on_connected();
        continue;
      }
      auto group = std::min_element(groups_.begin(), groups_.end(),
                                    [](const GroupState& a, const GroupState& b) { return a.due < b.due; });
      if (!wait_until(group->due)) break;
      if (!run_cycle(*group)) retry_at = SteadyClock::now() + backoff_.next();
    }
    driver_->disconnect();
  }

  // A broken invariant (not a PLC problem: those are values): this PLC stops, the agent does
  // not. Its tags turn bad and its connection is reported down, so the stop is visible
  // downstream instead of leaving the last good values standing.
  void stopped_by(const char* what) noexcept {
    try {
      spdlog::critical("PLC {}: polling stopped by an unexpected error: {}", name(), what);
      {
        std::lock_guard lock(statistics_mutex_);
        link_ = Link::unknown;  // report even when already down: the reason is new
      }
      on_failure("PLC '" + name() + "': polling stopped by an unexpected error (" + what +
                 "); restart logbot-agent and report this");
    } catch (...) {
      // The sink or the log failed as well: nothing more can be done on this thread.
    }
  }

  void on_connected() {
    const std::string description = driver_->describe();
    const auto now = SteadyClock::now();
    {
      std::lock_guard lock(statistics_mutex_);
      if (was_connected_) ++reconnects_;
      was_connected_ = true;
      link_ = Link::up;
      // Poll at once after (re)connecting; the time without a connection is not an overrun.
      for (auto& group : groups_) group.due = std::max(group.due, now);
    }
    spdlog::info("PLC {}: connected ({})", name(), description);
    owner_.sink_.on_connection_state(plc_, true, description);
  }

  // A connection-level failure: reported (and the tags made bad) once per change, not on every retry.
  void on_failure(const std::string& message) {
    if (driver_) driver_->disconnect();
    if (link_ == Link::down) return;
    {
      std::lock_guard lock(statistics_mutex_);
      link_ = Link::down;
    }
    const auto& plc = config_.plcs[plc_];
    if (driver_)
      spdlog::warn("PLC {}: disconnected: {} (retrying after {} and then less often, up to every {})", name(), message,
                   duration_text(plc.reconnect_min), duration_text(plc.reconnect_max));
    else
      spdlog::error("PLC {}: not polled: {}", name(), message);
    owner_.sink_.on_connection_state(plc_, false, message);
    Reading bad;
    bad.quality = Quality::bad;
    bad.status = message;
    bad.time_ms = owner_.clock_.now_ms();
    std::vector<TagReading> batch;
    for (std::size_t local = 0; local < tags_.size(); ++local) {
      if (!should_report(last_reported_[local], bad, 0, false)) continue;
      last_reported_[local] = bad;
      batch.push_back(TagReading{tags_[local], bad});
    }
    if (!batch.empty()) owner_.sink_.on_readings(batch);
  }

  // One poll cycle of one group; false after a connection-level failure.
  bool run_cycle(GroupState& group) {
    const PollGroup& settings = config_.groups[group.group];
    const SteadyTime start = SteadyClock::now();
    std::vector<Reading> readings(group.local_tags.size());
    ReadStats stats;
    auto read = driver_->read(group.local_tags, readings, stats);
    const SteadyTime end = SteadyClock::now();
    const NextDue next = next_due(group.due, end, settings.interval);
    const SteadyTime due = group.due;
    {
      std::lock_guard lock(statistics_mutex_);
      group.due = next.due;
      if (read) {
        auto& statistics = group.statistics;
        ++statistics.cycles;
        if (next.missed > 0) ++statistics.overruns;
        group.jitter.add(start - due);
        statistics.round_trips = stats.round_trips;
        statistics.minimum_round_trips = stats.minimum_round_trips;
        statistics.items = stats.items;
        statistics.bytes = stats.bytes;
        statistics.last_cycle_ms = std::chrono::duration<double, std::milli>(end - start).count();
      }
    }
    if (!read) {
      on_failure(read.error().message);
      return false;
    }
    // Only a cycle that worked resets the backoff: a PLC that accepts connections but fails
    // every read is not redialled at the shortest delay for ever.
    backoff_.reset();
    std::vector<TagReading> batch;
    for (std::size_t i = 0; i < group.local_tags.size(); ++i) {
      const std::size_t local = group.local_tags[i];
      const TagConfig& tag = config_.tags[tags_[local]];
      Reading reading = apply_scaling(std::move(readings[i]), tag.scale, tag.offset);
      if (!should_report(last_reported_[local], reading, tag.deadband, !settings.report_by_exception)) continue;
      last_reported_[local] = reading;
      batch.push_back(TagReading{tags_[local], std::move(reading)});
    }
    if (!batch.empty()) owner_.sink_.on_readings(batch);
    return true;
  }

  Scheduler& owner_;
  const CollectConfig& config_;
  const std::size_t plc_;
  const std::vector<std::size_t> tags_;                // indexes into config_.tags: the driver's tag list
  std::vector<std::optional<Reading>> last_reported_;  // per entry of tags_
  std::vector<GroupState> groups_;
  ReconnectDelay backoff_;
  std::unique_ptr<PlcDriver> driver_;

  mutable std::mutex statistics_mutex_;
  Link link_ = Link::unknown;  // written by the worker under statistics_mutex_
  bool was_connected_ = false;
  std::uint64_t reconnects_ = 0;
};

// ---- the scheduler ----

Scheduler::Scheduler(const CollectConfig& config, ReadingSink& sink, DriverFactory factory, const Clock& clock)
    : config_(config), sink_(sink), factory_(std::move(factory)), clock_(clock) {}

Scheduler::~Scheduler() {
  stop();
}

void Scheduler::start() {
  if (!workers_.empty()) return;
  for (std::size_t plc = 0; plc < config_.plcs.size(); ++plc) {
    std::vector<std::size_t> tags;
    for (std::size_t tag = 0; tag < config_.tags.size(); ++tag)
      if (config_.tags[tag].plc == plc) tags.push_back(tag);
    if (!tags.empty()) workers_.push_back(std::make_unique<Worker>(*this, plc, std::move(tags)));
  }
  for (auto& worker : workers_) threads_.emplace_back([worker = worker.get()] { worker->run(); });
}

void Scheduler::stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_signal_.notify_all();
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
}

std::vector<PlcStatistics> Scheduler::statistics() const {
  std::vector<PlcStatistics> statistics;
  for (const auto& worker : workers_) statistics.push_back(worker->statistics());
  return statistics;
}

}  // namespace logbot::agent::collect
