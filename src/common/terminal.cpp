#include "common/terminal.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace logbot {

std::optional<std::string> read_line(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::optional<std::string> ask_terminal(const std::string& prompt, bool secret) {
  std::cerr << prompt << std::flush;
  termios saved{};
  const bool silence = secret && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (silence) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::optional<std::string> line = read_line(std::cin);
  if (silence) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << "\n";
  }
  return line;
}

}  // namespace logbot
