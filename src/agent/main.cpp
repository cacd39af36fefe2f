// logbot-agent: the edge agent (PLC collectors, store-and-forward buffer, mTLS uplink).
// This release carries its identity and on-boarding (commands in agent/commands.cpp).
#include <iostream>

#include "agent/commands.hpp"

int main(int argc, char** argv) {
  return logbot::agent::run_agent(argc, argv, std::cout, std::cerr);
}
