// Questions on the terminal; secrets (passwords) are read without echo.
#pragma once
#include <istream>
#include <optional>
#include <string>

namespace logbot {

// One line without its line ending ("\n" or "\r\n"); nullopt at end of input.
std::optional<std::string> read_line(std::istream& in);
// Writes `prompt` to stderr and reads a line from stdin; with `secret` and a terminal on
// stdin, the typed characters are not echoed.
std::optional<std::string> ask_terminal(const std::string& prompt, bool secret);

}  // namespace logbot
