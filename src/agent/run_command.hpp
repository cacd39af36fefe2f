// `logbot-agent run`: loads agent.toml and the enrolled state, then keeps the uplink to the
// cloud and polls the configured PLC tags (when there are any) until SIGINT/SIGTERM (exit 0). Start-up problems (no
// enrolment, a broken config) are one line on `err` and exit 1; everything after start-up is logged (spdlog, stderr).
#pragma once
#include <chrono>
#include <iosfwd>
#include <string>

namespace logbot::agent {

struct RunOptions {
  std::string state_dir;    // --state-dir; empty when not given (then agent.toml's, else the default)
  std::string config_file;  // --config; empty: no configuration file
  std::chrono::seconds statistics_interval{60};  // --statistics-interval: the poll statistics log line
};

int run_uplink_service(const RunOptions& options, std::ostream& err);

}  // namespace logbot::agent
