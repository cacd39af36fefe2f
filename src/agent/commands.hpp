// The `logbot-agent` command line: `id` (print the device UUID), `enroll` (on-board with an
// enrolment token), `run` (the service), `read` and `write` (commissioning of PLC tags).
// Output streams are passed in so tests can drive the commands in-process.
#pragma once
#include <iosfwd>

namespace logbot::agent {

// Parses the command line and runs the command: 0 on success, 1 on any failure (one line on
// `err`); `read` also exits 2 when some tag is bad.
int run_agent(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace logbot::agent
