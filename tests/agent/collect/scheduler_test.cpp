// The poll scheduler without a PLC: the deadline schedule's arithmetic and overruns, the
// report-by-exception filter with deadbands, scaling, the reconnect delay and the jitter
// statistics as pure functions; then the worker loop itself, driven by a scripted driver in
// this file (connection events once per change, bad tags once, readings by exception, stop
// while waiting to reconnect). No assertion on timing: the loop tests wait for events (with a
// generous bound so a broken scheduler fails instead of hanging) and check their order.
#include "agent/collect/scheduler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace logbot::agent::collect {
namespace {

using std::chrono::milliseconds;

constexpr std::int64_t kNowMs = 1'795'823'941'123;  // 2026-11-27T23:59:01.123Z
const ManualClock kClock(kNowMs);

constexpr auto kEventBound = std::chrono::seconds(10);  // only reached when the scheduler is broken

// ---- next_due ----

TEST(NextDue, OnTimeCyclesKeepTheScheduleWithoutDrift) {
  const SteadyTime start{};
  const auto interval = milliseconds(100);
  SteadyTime due = start;
  // Cycles of varying lengths, all shorter than the interval: the due times stay on the grid.
  for (int cycle = 0; cycle < 1000; ++cycle) {
    const auto end = due + milliseconds(cycle % 97);
    const NextDue next = next_due(due, end, interval);
    EXPECT_EQ(next.missed, 0u);
    due = next.due;
  }
  EXPECT_EQ(due, start + 1000 * interval);
}

TEST(NextDue, ACycleEndingExactlyAtTheNextDueTimeIsNotAnOverrun) {
  const SteadyTime due{milliseconds(5000)};
  const NextDue next = next_due(due, due + milliseconds(100), milliseconds(100));
  EXPECT_EQ(next.due, due + milliseconds(100));
  EXPECT_EQ(next.missed, 0u);
}

TEST(NextDue, AnOverrunSkipsTheMissedDueTimesInsteadOfCatchingUp) {
  const SteadyTime due{milliseconds(5000)};
  NextDue next = next_due(due, due + milliseconds(101), milliseconds(100));
  EXPECT_EQ(next.due, due + milliseconds(200));
  EXPECT_EQ(next.missed, 1u);

  next = next_due(due, due + milliseconds(250), milliseconds(100));
  EXPECT_EQ(next.due, due + milliseconds(300));  // 100 and 200 are skipped: no back-to-back cycles
  EXPECT_EQ(next.missed, 2u);

  next = next_due(due, due + milliseconds(300), milliseconds(100));
  EXPECT_EQ(next.due, due + milliseconds(300));
  EXPECT_EQ(next.missed, 2u);

  // Hours-long intervals and long stalls do not overflow.
  next = next_due(due, due + std::chrono::hours(49), std::chrono::hours(24));
  EXPECT_EQ(next.due, due + std::chrono::hours(72));
  EXPECT_EQ(next.missed, 2u);
}

// ---- report by exception ----

Reading good(Value value, std::int64_t time_ms = 1) {
  Reading reading;
  reading.value = std::move(value);
  reading.quality = Quality::good;
  reading.time_ms = time_ms;
  return reading;
}

Reading bad(std::string status) {
  Reading reading;
  reading.quality = Quality::bad;
  reading.status = std::move(status);
  reading.time_ms = 1;
  return reading;
}

TEST(ShouldReport, TheFirstReadingIsAlwaysReported) {
  EXPECT_TRUE(should_report(std::nullopt, good(1.0), 100, false));
  EXPECT_TRUE(should_report(std::nullopt, bad("unreachable"), 100, false));
}

TEST(ShouldReport, NumbersWithinTheDeadbandOfTheLastReportedValueAreNot) {
  const std::optional<Reading> last = good(10.0);
  EXPECT_FALSE(should_report(last, good(10.0, 2), 0.5, false));  // a new timestamp alone is no change
  EXPECT_FALSE(should_report(last, good(10.3), 0.5, false));
  EXPECT_FALSE(should_report(last, good(9.7), 0.5, false));
  EXPECT_TRUE(should_report(last, good(10.6), 0.5, false));
  EXPECT_TRUE(should_report(last, good(9.4), 0.5, false));
  EXPECT_TRUE(should_report(last, good(10.1), 0, false));  // no deadband: any change
  const std::optional<Reading> integer = good(std::int64_t{100});
  EXPECT_FALSE(should_report(integer, good(std::int64_t{102}), 5, false));
  EXPECT_TRUE(should_report(integer, good(std::int64_t{94}), 5, false));
}

TEST(ShouldReport, ASlowDriftIsReportedOnceItAddsUp) {
  // The comparison is with the last *reported* value, so steps smaller than the deadband add up.
  std::optional<Reading> last;
  std::vector<double> reported;
  for (double value : {0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2}) {
    Reading reading = good(value);
    if (should_report(last, reading, 0.5, false)) {
      reported.push_back(value);
      last = reading;
    }
  }
  EXPECT_EQ(reported, (std::vector<double>{0.0, 0.6, 1.2}));
}

TEST(ShouldReport, OtherTypesOnAnyChange) {
  EXPECT_FALSE(should_report(good(true), good(true), 0, false));
  EXPECT_TRUE(should_report(good(true), good(false), 0, false));
  EXPECT_FALSE(should_report(good(std::string("RUN")), good(std::string("RUN")), 0, false));
  EXPECT_TRUE(should_report(good(std::string("RUN")), good(std::string("STOP")), 0, false));
}

TEST(ShouldReport, QualityAndStatusChangesAreReportedOnce) {
  EXPECT_TRUE(should_report(good(1.0), bad("PLC return code 0x0A (object does not exist)"), 100, false));
  EXPECT_TRUE(should_report(bad("unreachable"), good(1.0), 100, false));
  EXPECT_FALSE(should_report(bad("unreachable"), bad("unreachable"), 0, false));
  EXPECT_TRUE(should_report(bad("unreachable"), bad("PLC return code 0x05 (address out of range)"), 0, false));
}

TEST(ShouldReport, GroupsThatReportAlwaysReportEveryReading) {
  EXPECT_TRUE(should_report(good(1.0), good(1.0), 0, true));
  EXPECT_TRUE(should_report(bad("x"), bad("x"), 0, true));
}

// ---- scaling ----

TEST(ApplyScaling, NumbersBecomeScaledReals) {
  Reading scaled = apply_scaling(good(std::int64_t{-20}), 0.5, 3);
  ASSERT_TRUE(std::holds_alternative<double>(scaled.value));
  EXPECT_EQ(std::get<double>(scaled.value), -7.0);
  scaled = apply_scaling(good(std::uint64_t{4000000000u}), 0.001, 0);
  EXPECT_EQ(std::get<double>(scaled.value), 4000000.0);
  scaled = apply_scaling(good(21.5), 2, -1);
  EXPECT_EQ(std::get<double>(scaled.value), 42.0);
  EXPECT_EQ(scaled.time_ms, 1);
}

TEST(ApplyScaling, UnscaledAndNonNumericAndBadReadingsAreUnchanged) {
  Reading same = apply_scaling(good(std::int64_t{7}), 1, 0);
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(same.value));  // stays an integer
  EXPECT_EQ(std::get<std::int64_t>(same.value), 7);
  same = apply_scaling(good(true), 2, 1);
  EXPECT_EQ(std::get<bool>(same.value), true);
  same = apply_scaling(good(std::string("x")), 2, 1);
  EXPECT_EQ(std::get<std::string>(same.value), "x");
  same = apply_scaling(bad("gone"), 2, 1);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(same.value));
  EXPECT_EQ(same.status, "gone");
}

// ---- reconnect delay ----

TEST(ReconnectDelay, DoublesFromTheMinimumToTheMaximumAndResets) {
  ReconnectDelay top(milliseconds(1000), milliseconds(60000), [] { return 0.9999999999; });
  std::vector<long> delays;
  for (int i = 0; i < 9; ++i) delays.push_back(static_cast<long>(top.next().count()));
  EXPECT_EQ(delays, (std::vector<long>{1000, 1999, 3999, 7999, 15999, 31999, 59999, 59999, 59999}));
  top.reset();
  EXPECT_EQ(top.ceiling(), milliseconds(1000));
}

TEST(ReconnectDelay, NeverBelowTheMinimumNorAboveTheMaximum) {
  ReconnectDelay bottom(milliseconds(1000), milliseconds(60000), [] { return 0.0; });
  std::vector<long> delays;
  for (int i = 0; i < 9; ++i) delays.push_back(static_cast<long>(bottom.next().count()));
  // Half the ceiling at the bottom of the jitter, but never less than reconnect_min.
  EXPECT_EQ(delays, (std::vector<long>{1000, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000}));
  ReconnectDelay broken(milliseconds(500), milliseconds(800), [] { return 7.0; });  // out of range: clamped
  for (int i = 0; i < 5; ++i) {
    const auto delay = broken.next();
    EXPECT_GE(delay, milliseconds(500));
    EXPECT_LE(delay, milliseconds(800));
  }
}

// ---- jitter statistics ----

TEST(JitterStatistics, CountMeanPercentileAndMaximum) {
  JitterStatistics jitter;
  EXPECT_EQ(jitter.summary().count, 0u);
  for (int ms = 1; ms <= 100; ++ms) jitter.add(milliseconds(ms));
  const JitterSummary summary = jitter.summary();
  EXPECT_EQ(summary.count, 100u);
  EXPECT_DOUBLE_EQ(summary.mean_ms, 50.5);
  EXPECT_DOUBLE_EQ(summary.p99_ms, 99.0);
  EXPECT_DOUBLE_EQ(summary.max_ms, 100.0);
}

TEST(JitterStatistics, ThePercentileCoversTheLastThousandCycles) {
  JitterStatistics jitter;
  for (int i = 0; i < 1000; ++i) jitter.add(milliseconds(5000));  // an early bad spell
  for (int ms = 1; ms <= 1000; ++ms) jitter.add(milliseconds(ms));
  const JitterSummary summary = jitter.summary();
  EXPECT_EQ(summary.count, 2000u);
  EXPECT_DOUBLE_EQ(summary.p99_ms, 990.0);
  EXPECT_DOUBLE_EQ(summary.max_ms, 5000.0);  // since start
  jitter.add(-milliseconds(3));              // a start before the due time counts as 0
  EXPECT_DOUBLE_EQ(jitter.summary().max_ms, 5000.0);
}

// ---- the worker loop, with a scripted driver ----

// Plays a script: connect() and read() outcomes by call number. Values come from `value_of`.
class ScriptedDriver final : public PlcDriver {
 public:
  std::function<Result<void>(int call)> on_connect = [](int) { return Result<void>(); };
  // Fills `out` for the read with the given call number, or fails it.
  std::function<Result<void>(int call, std::span<const std::size_t>, std::span<Reading>)> on_read;

  Result<void> connect() override {
    auto result = on_connect(connects_++);
    connected_ = result.has_value();
    return result;
  }
  void disconnect() noexcept override { connected_ = false; }
  bool connected() const noexcept override { return connected_; }
  Result<void> read(std::span<const std::size_t> tags, std::span<Reading> out, ReadStats& stats) override {
    stats.round_trips = 2;
    stats.minimum_round_trips = 1;
    stats.items = 3;
    stats.bytes = 40;
    auto result = on_read(reads_++, tags, out);
    if (!result) connected_ = false;
    return result;
  }
  Result<void> write(std::size_t, const Value&) override {
    if (write_calls) ++*write_calls;
    return fail(ErrorCode::not_writable, "read-only test driver");
  }
  std::string describe() const override { return "scripted PLC"; }
  std::shared_ptr<std::atomic<int>> write_calls;  // counts write() calls when set

 private:
  int connects_ = 0;
  int reads_ = 0;
  bool connected_ = false;
};

// Records what the scheduler delivers as short lines: "connected", "disconnected: why",
// "t0=1 t1=bad(why)" for a batch of readings.
class RecordingSink final : public ReadingSink {
 public:
  void on_readings(std::span<const TagReading> readings) override {
    std::string line;
    for (const auto& [tag, reading] : readings) {
      if (!line.empty()) line += " ";
      line += "t" + std::to_string(tag) + "=" + text(reading);
    }
    add(line);
  }
  void on_connection_state(std::size_t plc, bool connected, const std::string& message) override {
    add("plc" + std::to_string(plc) + (connected ? " connected: " : " disconnected: ") + message);
  }

  // Waits until `done` holds for the events so far (bounded); returns whether it did.
  bool wait_for(const std::function<bool(const std::vector<std::string>&)>& done) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kEventBound, [&] { return done(events_); });
  }
  std::vector<std::string> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  static std::string text(const Reading& reading) {
    if (reading.quality != Quality::good) return "bad(" + reading.status + ")";
    if (const auto* number = std::get_if<double>(&reading.value)) {
      std::string out = std::to_string(*number);
      out.erase(out.find_last_not_of('0') + 1);
      if (out.back() == '.') out.pop_back();
      return out + "d";
    }
    if (const auto* number = std::get_if<std::int64_t>(&reading.value)) return std::to_string(*number);
    return "?";
  }
  void add(std::string line) {
    {
      std::lock_guard lock(mutex_);
      events_.push_back(std::move(line));
    }
    changed_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> events_;
};

std::size_t count_of(const std::vector<std::string>& events, const std::string& line) {
  return static_cast<std::size_t>(std::count(events.begin(), events.end(), line));
}

// One PLC, one group with a 1 ms interval (the config parser allows 100 ms and more; the
// scheduler takes what it is given), reconnecting after 1 ms.
CollectConfig test_config(std::size_t tags, bool report_always = false) {
  CollectConfig config;
  PlcConfig plc;
  plc.name = "test";
  plc.reconnect_min = milliseconds(1);
  plc.reconnect_max = milliseconds(2);
  config.plcs.push_back(plc);
  config.groups.push_back(PollGroup{"fast", milliseconds(1), !report_always});
  for (std::size_t i = 0; i < tags; ++i) {
    TagConfig tag;
    tag.name = "tag" + std::to_string(i);
    config.tags.push_back(tag);
  }
  return config;
}

DriverFactory factory_of(std::function<void(ScriptedDriver&)> script) {
  return [script](const CollectConfig&, std::size_t, std::span<const std::size_t>) {
    auto driver = std::make_unique<ScriptedDriver>();
    script(*driver);
    return std::unique_ptr<PlcDriver>(std::move(driver));
  };
}

TEST(SchedulerLoop, ConnectionChangesAndBadTagsAreDeliveredOncePerChange) {
  const CollectConfig config = test_config(2);
  RecordingSink sink;
  Scheduler scheduler(config, sink, factory_of([](ScriptedDriver& driver) {
                        // Unreachable at start for three attempts, then up.
                        driver.on_connect = [](int call) -> Result<void> {
                          if (call < 3) return fail(ErrorCode::unreachable, "PLC 'test': connection refused");
                          return {};
                        };
                        // tag0 counts 1, 1, 1, 2, 2, ... ; the 6th read loses the connection.
                        driver.on_read = [](int call, std::span<const std::size_t> tags,
                                            std::span<Reading> out) -> Result<void> {
                          if (call == 5) return fail(ErrorCode::closed, "PLC 'test': connection reset");
                          for (std::size_t i = 0; i < tags.size(); ++i)
                            out[i] = good(tags[i] == 0 ? std::int64_t{call < 3 ? 1 : 2} : std::int64_t{5});
                          return {};
                        };
                      }),
                      kClock);
  scheduler.start();
  ASSERT_TRUE(sink.wait_for([](const auto& events) { return count_of(events, "plc0 connected: scripted PLC") >= 2; }));
  ASSERT_TRUE(sink.wait_for([](const auto& events) { return count_of(events, "t0=2 t1=5") >= 1; }));
  scheduler.stop();

  const auto events = sink.events();
  const std::vector<std::string> expected = {
      "plc0 disconnected: PLC 'test': connection refused",  // once, not for each of the 3 failures
      "t0=bad(PLC 'test': connection refused) t1=bad(PLC 'test': connection refused)",
      "plc0 connected: scripted PLC",
      "t0=1 t1=5",  // reads 1 and 2 bring no change: nothing delivered
      "t0=2",       // read 3: only the tag that changed
      "plc0 disconnected: PLC 'test': connection reset",
      "t0=bad(PLC 'test': connection reset) t1=bad(PLC 'test': connection reset)",
      "plc0 connected: scripted PLC",
      "t0=2 t1=5",  // good again: a change of quality
  };
  ASSERT_GE(events.size(), expected.size());
  EXPECT_EQ(std::vector<std::string>(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(expected.size())),
            expected);
  for (std::size_t i = expected.size(); i < events.size(); ++i) ADD_FAILURE() << "unexpected event: " << events[i];

  const auto statistics = scheduler.statistics();
  ASSERT_EQ(statistics.size(), 1u);
  EXPECT_EQ(statistics[0].reconnects, 1u);
  ASSERT_EQ(statistics[0].groups.size(), 1u);
  const auto& group = statistics[0].groups[0];
  EXPECT_GE(group.cycles, 6u);  // every successful read
  EXPECT_EQ(group.jitter.count, group.cycles);
  EXPECT_EQ(group.tags, 2u);
  EXPECT_EQ(group.round_trips, 2u);
  EXPECT_EQ(group.minimum_round_trips, 1u);
  EXPECT_EQ(group.items, 3u);
  EXPECT_EQ(group.bytes, 40u);
}

// The bad readings of a PLC that cannot be reached carry the injected wall clock's time.
TEST(SchedulerLoop, BadReadingsOfALostConnectionAreStampedByTheClock) {
  const CollectConfig config = test_config(2);
  struct StampSink final : ReadingSink {
    void on_readings(std::span<const TagReading> readings) override {
      std::lock_guard lock(mutex);
      for (const auto& reading : readings) stamps.push_back(reading.reading.time_ms);
      changed.notify_all();
    }
    void on_connection_state(std::size_t, bool, const std::string&) override {}
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::int64_t> stamps;
  } sink;
  ManualClock clock(kNowMs);
  clock.advance_ms(42);
  Scheduler scheduler(config, sink, factory_of([](ScriptedDriver& driver) {
                        driver.on_connect = [](int) -> Result<void> {
                          return fail(ErrorCode::unreachable, "PLC 'test': connection refused");
                        };
                      }),
                      clock);
  scheduler.start();
  {
    std::unique_lock lock(sink.mutex);
    ASSERT_TRUE(sink.changed.wait_for(lock, std::chrono::seconds(10), [&] { return sink.stamps.size() >= 2; }));
  }
  scheduler.stop();
  EXPECT_EQ(sink.stamps, (std::vector<std::int64_t>{kNowMs + 42, kNowMs + 42}));
}

TEST(SchedulerLoop, ScalingHappensBeforeTheDeadband) {
  CollectConfig config = test_config(1);
  config.tags[0].scale = 10;
  config.tags[0].deadband = 5;
  RecordingSink sink;
  Scheduler scheduler(config, sink, factory_of([](ScriptedDriver& driver) {
                        // Raw 1.0, 1.3 (13: within 5 of 10), 1.6 (16: beyond), then 1.6 forever.
                        driver.on_read = [](int call, std::span<const std::size_t>,
                                            std::span<Reading> out) -> Result<void> {
                          out[0] = good(call == 0 ? 1.0 : call == 1 ? 1.3 : 1.6);
                          return {};
                        };
                      }),
                      kClock);
  scheduler.start();
  ASSERT_TRUE(sink.wait_for([](const auto& events) { return count_of(events, "t0=16d") >= 1; }));
  scheduler.stop();
  EXPECT_EQ(sink.events(), (std::vector<std::string>{"plc0 connected: scripted PLC", "t0=10d", "t0=16d"}));
}

TEST(SchedulerLoop, GroupsThatReportAlwaysDeliverEveryCycle) {
  const CollectConfig config = test_config(1, true);
  RecordingSink sink;
  Scheduler scheduler(config, sink, factory_of([](ScriptedDriver& driver) {
                        driver.on_read = [](int, std::span<const std::size_t>, std::span<Reading> out) -> Result<void> {
                          out[0] = good(std::int64_t{7});
                          return {};
                        };
                      }),
                      kClock);
  scheduler.start();
  ASSERT_TRUE(sink.wait_for([](const auto& events) { return count_of(events, "t0=7") >= 3; }));
  scheduler.stop();
}

// The collector only reads: writing is the commissioning command's, behind --allow-write.
TEST(SchedulerLoop, TheCollectorNeverWrites) {
  const CollectConfig config = test_config(2, true);
  RecordingSink sink;
  auto writes = std::make_shared<std::atomic<int>>(0);
  Scheduler scheduler(config, sink, factory_of([writes](ScriptedDriver& driver) {
                        driver.write_calls = writes;
                        // Good cycles, a failed one (reconnect), good cycles again.
                        driver.on_read = [](int call, std::span<const std::size_t>,
                                            std::span<Reading> out) -> Result<void> {
                          if (call == 2) return fail(ErrorCode::closed, "connection reset");
                          for (auto& reading : out) reading = good(std::int64_t{call});
                          return {};
                        };
                      }),
                      kClock);
  scheduler.start();
  ASSERT_TRUE(sink.wait_for([](const auto& events) { return count_of(events, "t0=5 t1=5") >= 1; }));
  scheduler.stop();
  EXPECT_EQ(writes->load(), 0);
}

TEST(SchedulerLoop, StopWakesAWorkerWaitingToReconnect) {
  CollectConfig config = test_config(1);
  config.plcs[0].reconnect_min = std::chrono::hours(1);
  config.plcs[0].reconnect_max = std::chrono::hours(1);
  RecordingSink sink;
  Scheduler scheduler(config, sink, factory_of([](ScriptedDriver& driver) {
                        driver.on_connect = [](int) -> Result<void> { return fail(ErrorCode::unreachable, "down"); };
                      }),
                      kClock);
  scheduler.start();
  ASSERT_TRUE(sink.wait_for([](const auto& events) { return !events.empty(); }));
  EXPECT_FALSE(scheduler.statistics().at(0).connected);
  scheduler.stop();  // returns although the next attempt is an hour away
  EXPECT_EQ(sink.events(), (std::vector<std::string>{"plc0 disconnected: down", "t0=bad(down)"}));
}

TEST(SchedulerLoop, AMissingDriverIsAConnectionErrorNotACrash) {
  const CollectConfig config = test_config(1);
  RecordingSink sink;
  Scheduler scheduler(
      config, sink,
      [](const CollectConfig&, std::size_t, std::span<const std::size_t>) { return std::unique_ptr<PlcDriver>(); },
      kClock);
  scheduler.start();
  ASSERT_TRUE(sink.wait_for([](const auto& events) { return events.size() >= 2; }));
  scheduler.stop();
  const auto events = sink.events();
  EXPECT_EQ(events[0], "plc0 disconnected: PLC 'test': this build of logbot-agent has no S7 driver");
}

// A driver (or sink) that throws is a bug, but it must not reach std::terminate through the
// worker thread: the PLC stops, its tags turn bad, and the other PLCs and the agent go on.
TEST(SchedulerLoop, AnExceptionInAWorkerStopsThatPlcVisiblyInsteadOfTerminating) {
  CollectConfig config = test_config(1);
  config.plcs.push_back(config.plcs[0]);
  config.plcs[1].name = "other";
  TagConfig other_tag;
  other_tag.name = "other.tag";
  other_tag.plc = 1;
  config.tags.push_back(other_tag);
  RecordingSink sink;
  Scheduler scheduler(
      config, sink,
      [](const CollectConfig&, std::size_t plc, std::span<const std::size_t>) {
        auto driver = std::make_unique<ScriptedDriver>();
        driver->on_read = [plc](int call, std::span<const std::size_t>, std::span<Reading> out) -> Result<void> {
          if (plc == 0 && call == 1) throw 42;  // not even a std::exception
          if (plc == 1 && call == 1) throw std::runtime_error("broken invariant");
          out[0] = good(std::int64_t{3});
          return {};
        };
        return std::unique_ptr<PlcDriver>(std::move(driver));
      },
      kClock);
  scheduler.start();
  ASSERT_TRUE(sink.wait_for([](const auto& events) {
    return std::count_if(events.begin(), events.end(), [](const std::string& line) {
             return line.find("polling stopped by an unexpected error") != std::string::npos &&
                    line.rfind("plc", 0) == 0;
           }) == 2;
  }));
  scheduler.stop();
  const auto events = sink.events();
  EXPECT_EQ(count_of(events,
                     "plc0 disconnected: PLC 'test': polling stopped by an unexpected error (an exception "
                     "that is not a std::exception); restart logbot-agent and report this"),
            1u);
  EXPECT_EQ(count_of(events,
                     "plc1 disconnected: PLC 'other': polling stopped by an unexpected error (broken "
                     "invariant); restart logbot-agent and report this"),
            1u);
  EXPECT_EQ(count_of(events,
                     "t0=bad(PLC 'test': polling stopped by an unexpected error (an exception that is not "
                     "a std::exception); restart logbot-agent and report this)"),
            1u);
  for (const auto& plc : scheduler.statistics()) EXPECT_FALSE(plc.connected);
}

TEST(SchedulerLoop, PlcsWithoutTagsGetNoWorker) {
  CollectConfig config = test_config(0);
  RecordingSink sink;
  Scheduler scheduler(config, sink, factory_of([](ScriptedDriver&) {}), kClock);
  scheduler.start();
  EXPECT_TRUE(scheduler.statistics().empty());
  scheduler.stop();
  scheduler.stop();  // idempotent
  EXPECT_TRUE(sink.events().empty());
}

}  // namespace
}  // namespace logbot::agent::collect
