// logbot-agent: the edge agent (PLC collectors, store-and-forward buffer, mTLS uplink).
// This release carries its command-line surface; collectors and uplink arrive with their issues.
#include <CLI/CLI.hpp>
#include <iostream>

#include "common/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"logbot-agent: the Logbot edge agent"};
  app.set_version_flag("--version", std::string("logbot-agent ") + logbot::kVersion);
  CLI11_PARSE(app, argc, argv);
  std::cout << app.help();
  return 0;
}
