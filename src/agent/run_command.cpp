#include "agent/run_command.hpp"

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
#include <ostream>

#include "agent/config/agent_config.hpp"
#include "agent/enrol/enrolment.hpp"
#include "agent/state/agent_state.hpp"
#include "agent/uplink/reconnect.hpp"
#include "agent/uplink/uplink_client.hpp"
#include "common/crypto/sha256.hpp"
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

UserResult<UplinkOptions> uplink_options(const AgentState& state, const AgentConfig& config) {
  auto binding = state.read_cloud_binding();
  if (!binding) return binding.error();
  if (!*binding || !state.has_certificate() || !state.has_key())
    return UserError{"this agent is not enrolled (" + state.directory().string() +
                     " holds no certificate): run logbot-agent enroll --token TOKEN --state-dir " +
                     state.directory().string() + " first"};
  UplinkOptions options;
  options.pinned_fingerprint = (*binding)->fingerprint;
  options.bind_address = config.uplink_bind_address;
  const bool from_config = !config.uplink_endpoints.empty();
  const auto& urls = from_config ? config.uplink_endpoints : (*binding)->uplink_urls;
  if (urls.empty())
    return UserError{"no uplink address: the cloud announced none at enrolment (" + state.cloud_file().string() +
                     "); set uplink.endpoints in agent.toml and pass it with --config"};
  for (const auto& text : urls) {
    auto url = parse_uplink_url(text);
    if (!url)
      return UserError{(from_config ? std::string("agent.toml: ") : state.cloud_file().string() + ": ") +
                       url.error().message};
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
  spdlog::info("logbot-agent {} running as device {} (state {}, {} uplink address(es){})", kVersion,
               state->device_uuid(), state->directory().string(), options->endpoints.size(),
               options->bind_address.empty() ? std::string() : ", local address " + options->bind_address);

  const std::size_t endpoint_count = options->endpoints.size();
  UplinkClient client(*state, std::move(*options), ReconnectPolicy(endpoint_count, ReconnectPolicy::default_random()));
  bool stopping = false;
  bool failed = false;
  asio::io_context io;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer grace(io);
  asio::cancellation_signal stop;

  asio::co_spawn(io, client.run(), asio::bind_cancellation_slot(stop.slot(), [&](std::exception_ptr error) {
                   signals.cancel();
                   grace.cancel();
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
    stop.emit(asio::cancellation_type::terminal);
    grace.expires_after(kStopGrace);
    grace.async_wait([&](const boost::system::error_code& wait_ec) {
      if (!wait_ec) io.stop();
    });
  });
  io.run();
  if (!failed) spdlog::info("logbot-agent: stopped");
  return failed ? 1 : 0;
}

}  // namespace logbot::agent
