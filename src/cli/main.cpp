// logbot: the engineer's command-line client.
#include <CLI/CLI.hpp>
#include <iostream>

#include "common/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"logbot: the Logbot command-line client"};
  app.set_version_flag("--version", std::string("logbot ") + logbot::kVersion);
  CLI11_PARSE(app, argc, argv);
  std::cout << app.help();
  return 0;
}
