// The composition root of `logbot-cloud serve`: it takes the configuration, opens the services
// and owns what the process runs on: one I/O thread, the worker pool for blocking work
// (password hashing, database), the termination signals, the sweep of abandoned logins, and the
// listeners as peers: the HTTPS API and console (http/server.hpp) and the devices' uplink
// (uplink/device_server.hpp). A further listener (the tunnel relay) is one more member started,
// announced and stopped beside them. Nothing below this module builds another listener.
#pragma once
#include <filesystem>

namespace logbot {
class Clock;
}

namespace logbot::cloud {
struct CloudConfig;
}

namespace logbot::cloud::process {

struct ServeOptions {
  // Once every listener listens, receives two lines: the HTTPS base URL and the uplink URL.
  std::filesystem::path ready_file;
};

// Blocks until SIGINT or SIGTERM has stopped every listener; returns the exit code (0 after a
// signal, 1 when a listener cannot listen). `config` must have passed validate(). Throws at
// start-up only (an unreadable certificate, the database).
int serve(const CloudConfig& config, const Clock& clock, const ServeOptions& options);

}  // namespace logbot::cloud::process
