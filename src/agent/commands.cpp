#include "agent/commands.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "agent/collect/commission.hpp"
#include "agent/config/agent_config.hpp"
#include "agent/drivers.hpp"
#include "agent/enrol/enrolment.hpp"
#include "agent/run_command.hpp"
#include "agent/state/agent_state.hpp"
#include "common/printable.hpp"
#include "common/private_files.hpp"
#include "common/version.hpp"

namespace logbot::agent {
namespace {

int fail(std::ostream& err, std::string_view message) {
  err << "logbot-agent: " << printable(message) << "\n";
  return 1;
}

net::Result<std::string> read_token_file(const std::string& path) {
  std::ifstream file(path == "-" ? "/dev/stdin" : path);
  if (!file) return logbot::fail(net::ErrorCode::io_failed, "cannot read the token file " + path);
  std::ostringstream content;
  content << file.rdbuf();
  std::string text = content.str();
  if (text.size() > 8192)
    return logbot::fail(net::ErrorCode::bad_input,
                        "the token file " + path + " is too large to hold an enrolment token");
  return net::Result<std::string>(boost::system::in_place_value, std::move(text));
}

}  // namespace

int run_agent(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"logbot-agent: the Logbot edge agent"};
  app.set_version_flag("--version", std::string("logbot-agent ") + kVersion);
  app.require_subcommand(1);

  std::string state_dir = kDefaultStateDir;
  const std::string state_help = "The agent's state directory (identity, key, certificates)";

  CLI::App* id_command = app.add_subcommand("id", "Print this device's UUID (created on first use)");
  id_command->add_option("--state-dir", state_dir, state_help)->capture_default_str();

  CLI::App* enroll_command =
      app.add_subcommand("enrol", "On-board this device with an enrolment token from the cloud's console");
  enroll_command->alias("enroll");  // the older spelling keeps working in scripts
  std::string token;
  std::string token_file;
  bool force = false;
  auto* token_option = enroll_command->add_option("--token", token, "The enrolment token (lbt1....)");
  auto* token_file_option =
      enroll_command->add_option("--token-file", token_file, "A file holding the enrolment token ('-': stdin)");
  token_option->excludes(token_file_option);
  enroll_command->add_option("--state-dir", state_dir, state_help)->capture_default_str();
  enroll_command->add_flag("--force", force, "Enrol again although enrolled already (makes a new key)");

  CLI::App* run_command =
      app.add_subcommand("run", "Connect to the cloud and stay connected until SIGINT or SIGTERM (needs enrolment)");
  RunOptions run_options;
  run_command->add_option("--state-dir", run_options.state_dir,
                          state_help + " (default: agent.toml's state_dir, else " + kDefaultStateDir + ")");
  run_command->add_option("--config", run_options.config_file, "The agent's configuration file (agent.toml)");
  unsigned statistics_seconds = 60;
  run_command->add_option("--statistics-interval", statistics_seconds, "Seconds between the poll statistics log lines")
      ->check(CLI::Range(1u, 86400u))
      ->capture_default_str();

  CLI::App* read_command = app.add_subcommand(
      "read", "Read tags from the PLCs once and print them (commissioning); exit 2 when a tag is bad");
  std::string read_config;
  collect::ReadOptions read_options;
  read_command->add_option("--config", read_config, "The agent's configuration file (agent.toml)")->required();
  read_command->add_option("--tag", read_options.tags, "Read only this tag (repeatable)");
  read_command->add_option("--plc", read_options.plcs, "Read only this PLC's tags (repeatable)");
  read_command->add_flag("--json", read_options.json, "One JSON object per line instead of a table");

  CLI::App* write_command =
      app.add_subcommand("write", "Write one tag's value to its PLC and read it back (commissioning)");
  std::string write_config;
  collect::WriteOptions write_options;
  write_command->add_option("--config", write_config, "The agent's configuration file (agent.toml)")->required();
  write_command->add_option("--tag", write_options.tag, "The tag to write")->required();
  write_command->add_option("--value", write_options.value, "The value, in the tag's units (after scale/offset)")
      ->required();
  write_command->add_flag("--allow-write", write_options.allow_write,
                          "Confirm that this changes the PLC's process data");
  std::string write_state_dir;
  write_command->add_option("--state-dir", write_state_dir,
                            "The agent's state directory, which keeps the write record writes.log (default: "
                            "agent.toml's state_dir, else " +
                                std::string(kDefaultStateDir) + ")");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error, out, err) == 0 ? 0 : 1;
  }

  if (run_command->parsed()) {
    run_options.statistics_interval = std::chrono::seconds(statistics_seconds);
    return run_uplink_service(run_options, err);
  }

  if (read_command->parsed() || write_command->parsed()) {
    // Refused before the configuration is even read: the confirmation is the first thing checked.
    if (write_command->parsed() && !write_options.allow_write)
      return fail(err, "write changes the PLC's process data; add --allow-write to confirm");
    auto config = load_agent_config(read_command->parsed() ? read_config : write_config);
    if (!config) return fail(err, config.error().message);
    const SystemClock clock;
    const auto factory = make_driver_factory(config->automation_bind_address, clock);
    if (read_command->parsed()) return collect::read_tags(config->collect, read_options, factory, clock, out, err);
    // The write record lives in the agent's private state directory.
    const std::string record_dir = !write_state_dir.empty()     ? write_state_dir
                                   : !config->state_dir.empty() ? config->state_dir
                                                                : std::string(kDefaultStateDir);
    if (auto made = ensure_private_directory(record_dir, "give write --state-dir a directory this user may write");
        !made)
      return fail(err, made.error().message);
    write_options.record_file = (std::filesystem::path(record_dir) / "writes.log").string();
    return collect::write_tag(config->collect, write_options, factory, clock, out, err);
  }

  auto state = AgentState::open(state_dir);
  if (!state) return fail(err, state.error().message);

  if (id_command->parsed()) {
    out << state->device_uuid() << "\n";
    return 0;
  }

  if (token.empty() && token_file.empty()) return fail(err, "enrol needs --token TOKEN or --token-file FILE");
  EnrolmentRequest request;
  request.force = force;
  if (!token_file.empty()) {
    auto text = read_token_file(token_file);
    if (!text) return fail(err, text.error().message);
    request.token_text = std::move(*text);
  } else {
    request.token_text = token;
  }
  auto outcome = enrol(*state, request);
  if (!outcome) return fail(err, outcome.error().message);
  out << "enrolled as " << outcome->device_uuid << " in organisation " << printable(outcome->org_id) << "\n";
  return 0;
}

}  // namespace logbot::agent
