// The `logbot` commands (login, whoami, logout, audit) and their command line. Everything they touch
// outside the process (streams, terminal, environment) comes in through Console, so tests can drive them.
#pragma once
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/session_file.hpp"
#include "common/printable.hpp"

namespace logbot::cli {

struct Console {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  EnvironmentLookup environment;
  bool input_is_terminal = false;
  // Shows `prompt` and reads one line from the terminal, without echo when `secret`; nullopt at end of input.
  std::function<std::optional<std::string>(const std::string& prompt, bool secret)> ask;
};

// The process's own stdin/stdout/stderr, environment and terminal (termios for the no-echo prompt).
Console system_console();

// Parses the command line and runs the command: 0 on success, 1 on any failure (one line on stderr).
int run_cli(int argc, const char* const* argv, Console& console);

// Terminal-safe text (common/printable.hpp): control characters (ESC, CR, C1) and invalid
// UTF-8 from the server become '?'.
using logbot::printable;
// Columns separated by two spaces, the last one unpadded; cells pass through printable().
std::string format_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

}  // namespace logbot::cli
