// logbot: the engineer's command-line client (commands in cli/commands.cpp).
#include "cli/commands.hpp"

int main(int argc, char** argv) {
  logbot::cli::Console console = logbot::cli::system_console();
  return logbot::cli::run_cli(argc, argv, console);
}
