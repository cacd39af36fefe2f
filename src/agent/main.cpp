// logbot-agent: the edge agent (PLC collectors, store-and-forward buffer, mTLS uplink).
// Commands (agent/commands.cpp): id, enrol (alias enroll), run (the uplink and the PLC poll scheduler),
// and the commissioning commands read and write. The buffer is not implemented yet.
#include <iostream>

#include "agent/commands.hpp"

int main(int argc, char** argv) {
  return logbot::agent::run_agent(argc, argv, std::cout, std::cerr);
}
