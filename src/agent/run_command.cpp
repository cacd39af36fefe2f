#include "agent/run_command.hpp"

#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/system_error.hpp>
#include <csignal>
#include <exception>
#include <functional>
#include <memory>
#include <ostream>

#include "agent/collect/scheduler.hpp"
#include "agent/config/agent_config.hpp"
#include "agent/drivers.hpp"
#include "agent/enrol/enrolment.hpp"
#include "agent/state/agent_state.hpp"
#include "agent/uplink/reconnect.hpp"
#include "agent/uplink/uplink_client.hpp"
#include "common/crypto/sha256.hpp"
#include "common/time_format.hpp"
#include "common/version.hpp"

namespace logbot::agent {

namespace asio = boost::asio;

namespace {

// A session that ignores cancellation is cut off after this long: stopping is bounded.
constexpr std::chrono::seconds kStopGrace{3};

int fail(std::ostream& err, const std::string& message) {
  err << "logbot-agent: " << message << "\n";
  return 1;
}

// Where the poll scheduler's readings go. For now the agent logs them (debug level: run with
// SPDLOG_LEVEL=debug to see them); shipping them to the cloud is another sink behind the same
// interface. Connection changes are logged by the scheduler itself. A tag turning bad for a
// reason of its own (the PLC's return code or exception, with its hint) is a warning, once per
// change of its status (a group with report = "always" passes every reading on). Tags made bad
// by a lost connection are not repeated: the scheduler has logged the disconnection.
class LoggingSink final : public collect::ReadingSink {
 public:
  explicit LoggingSink(const collect::CollectConfig& config)
      : config_(config), connection_failure_(config.plcs.size()), warned_(config.tags.size()) {}

  void on_readings(std::span<const collect::TagReading> readings) override {
    for (const auto& [tag, reading] : readings) {
      if (tag >= warned_.size()) continue;
      if (reading.quality == collect::Quality::good) {
        warned_[tag].clear();
        if (spdlog::should_log(spdlog::level::debug))
          spdlog::debug("tag {} = {} at {}", config_.tags[tag].name, collect::format_value(reading.value),
                        format_iso8601_ms(reading.time_ms));
        continue;
      }
      const std::size_t plc = config_.tags[tag].plc;
      if (reading.status == warned_[tag] ||
          (plc < connection_failure_.size() && reading.status == connection_failure_[plc])) {
        spdlog::debug("tag {} is bad: {}", config_.tags[tag].name, reading.status);
        continue;
      }
      warned_[tag] = reading.status;
      spdlog::warn("tag {} ({}) is bad: {}", config_.tags[tag].name, config_.tags[tag].address_text, reading.status);
    }
  }

  // Each PLC's calls come from its own worker thread, so each entry (per PLC, per tag) has one
  // writer and reader.
  void on_connection_state(std::size_t plc, bool connected, const std::string& message) override {
    if (plc < connection_failure_.size()) connection_failure_[plc] = connected ? std::string() : message;
  }

 private:
  const collect::CollectConfig& config_;
  std::vector<std::string> connection_failure_;  // per PLC: the message its tags carry while down
  std::vector<std::string> warned_;              // per tag: the bad status last warned of
};

// "poll group fast: 600 cycles, 2 round trips/cycle (minimum 1), jitter mean 0.4 ms p99 2.1 ms
// max 3.0 ms, 0 overruns (PLC press, 12 tags)": figures since start, p99 over the last 1,000 cycles.
void log_poll_statistics(const collect::CollectConfig& config, const collect::Scheduler& scheduler) {
  for (const auto& plc : scheduler.statistics()) {
    for (const auto& group : plc.groups) {
      const std::string minimum =
          group.minimum_round_trips > 0 ? fmt::format(" (minimum {})", group.minimum_round_trips) : std::string();
      spdlog::info(
          "poll group {}: {} cycles, {} round trips/cycle{}, jitter mean {:.1f} ms p99 {:.1f} ms max {:.1f} ms, {} "
          "overruns (PLC {}, {} tags{}{})",
          config.groups[group.group].name, group.cycles, group.round_trips, minimum, group.jitter.mean_ms,
          group.jitter.p99_ms, group.jitter.max_ms, group.overruns, config.plcs[plc.plc].name, group.tags,
          plc.connected ? "" : ", disconnected",
          plc.reconnects > 0 ? fmt::format(", {} reconnects", plc.reconnects) : std::string());
    }
  }
}

net::Result<UplinkOptions> uplink_options(const AgentState& state, const AgentConfig& config) {
  auto binding = state.read_cloud_binding();
  if (!binding) return binding.error();
  if (!*binding || !state.has_certificate() || !state.has_key())
    return logbot::fail(net::ErrorCode::not_enrolled,
                        "this agent is not enrolled (" + state.directory().string() +
                            " holds no certificate): run logbot-agent enrol --token TOKEN --state-dir " +
                            state.directory().string() + " first");
  UplinkOptions options;
  options.pinned_fingerprint = (*binding)->fingerprint;
  options.bind_address = config.uplink_bind_address;
  const bool from_config = !config.uplink_endpoints.empty();
  const auto& urls = from_config ? config.uplink_endpoints : (*binding)->uplink_urls;
  if (urls.empty())
    return logbot::fail(net::ErrorCode::bad_input,
                        "no uplink address: the cloud announced none at enrolment (" + state.cloud_file().string() +
                            "); set uplink.endpoints in agent.toml and pass it with --config");
  for (const auto& text : urls) {
    auto url = parse_uplink_url(text);
    if (!url)
      return logbot::fail(
          url.error().code,
          (from_config ? std::string("agent.toml: ") : state.cloud_file().string() + ": ") + url.error().message);
    options.endpoints.push_back(std::move(*url));
  }
  AgentConfig effective = config;
  effective.state_dir = state.directory().string();
  effective.uplink_endpoints = urls;
  options.config_hash = crypto::sha256_hex(effective.canonical_text());
  return options;
}

}  // namespace

int run_uplink_service(const RunOptions& run_options, std::ostream& err) {
  AgentConfig config;
  if (!run_options.config_file.empty()) {
    auto loaded = load_agent_config(run_options.config_file);
    if (!loaded) return fail(err, loaded.error().message);
    config = std::move(*loaded);
  }
  const std::string state_dir = !run_options.state_dir.empty() ? run_options.state_dir
                                : !config.state_dir.empty()    ? config.state_dir
                                                               : std::string(kDefaultStateDir);
  auto state = AgentState::open(state_dir);
  if (!state) return fail(err, state.error().message);
  // First start with the token in the configuration: enrol before the first connection
  // (the token is single-use; once enrolled, it is ignored).
  if (!config.enrolment_token.empty() && !state->has_certificate()) {
    auto enrolled = enrol(*state, EnrolmentRequest{config.enrolment_token, false});
    if (!enrolled)
      return fail(err, "enrolment with the token from the configuration failed: " + enrolled.error().message);
    err << "enrolled as " << enrolled->device_uuid << " in organisation " << enrolled->org_id << "\n";
  }
  auto options = uplink_options(*state, config);
  if (!options) return fail(err, options.error().message);

  spdlog::set_default_logger(spdlog::stderr_color_mt("logbot-agent"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  spdlog::cfg::load_env_levels();  // SPDLOG_LEVEL=debug shows every delivered reading
  spdlog::info("logbot-agent {} running as device {} (state {}, {} uplink address(es){})", kVersion,
               state->device_uuid(), state->directory().string(), options->endpoints.size(),
               options->bind_address.empty() ? std::string() : ", local address " + options->bind_address);

  const SystemClock clock;  // outlives the uplink and the PLC collectors
  const std::size_t endpoint_count = options->endpoints.size();
  UplinkClient client(*state, std::move(*options), ReconnectPolicy(endpoint_count, ReconnectPolicy::default_random()),
                      clock);
  bool stopping = false;
  bool failed = false;
  asio::io_context io;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer grace(io);
  asio::cancellation_signal stop;

  // The PLC collectors run on their own threads (the drivers block), next to the uplink.
  const collect::CollectConfig& automation = config.collect;
  LoggingSink reading_log(automation);
  std::unique_ptr<collect::Scheduler> scheduler;
  asio::steady_timer statistics_timer(io);
  std::function<void()> schedule_statistics = [&] {
    statistics_timer.expires_after(run_options.statistics_interval);
    statistics_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      log_poll_statistics(automation, *scheduler);
      schedule_statistics();
    });
  };
  if (!automation.tags.empty()) {
    spdlog::info(
        "automation: polling {} tag(s) of {} PLC(s) in {} poll group(s){}", automation.tags.size(),
        automation.plcs.size(), automation.groups.size(),
        config.automation_bind_address.empty() ? std::string() : ", local address " + config.automation_bind_address);
    scheduler = std::make_unique<collect::Scheduler>(automation, reading_log,
                                                     make_driver_factory(config.automation_bind_address, clock), clock);
    try {
      scheduler->start();  // std::system_error when the system refuses a thread
    } catch (const std::exception& error) {
      return fail(err, std::string("cannot start the PLC collectors: ") + error.what() +
                           " (the system refused a thread; check the limits on processes and memory)");
    }
    schedule_statistics();
  }

  asio::co_spawn(io, client.run(), asio::bind_cancellation_slot(stop.slot(), [&](std::exception_ptr error) {
                   signals.cancel();
                   grace.cancel();
                   statistics_timer.cancel();
                   if (!error || stopping) return;
                   try {
                     std::rethrow_exception(error);
                   } catch (const std::exception& exception) {
                     spdlog::critical("uplink: stopped by an unexpected error: {}", exception.what());
                   }
                   failed = true;
                 }));
  signals.async_wait([&](const boost::system::error_code& ec, int number) {
    if (ec) return;
    stopping = true;
    spdlog::info("logbot-agent: stopping ({})", number == SIGINT ? "SIGINT" : "SIGTERM");
    statistics_timer.cancel();
    stop.emit(asio::cancellation_type::terminal);
    grace.expires_after(kStopGrace);
    grace.async_wait([&](const boost::system::error_code& wait_ec) {
      if (!wait_ec) io.stop();
    });
  });
  io.run();
  if (scheduler) {
    scheduler->stop();
    log_poll_statistics(automation, *scheduler);
  }
  if (!failed) spdlog::info("logbot-agent: stopped");
  return failed ? 1 : 0;
}

}  // namespace logbot::agent
