#include "agent/s7/s7_driver.hpp"

// PLACEHOLDER until the S7 driver lands (replace this whole file).
namespace logbot::agent::s7 {
std::unique_ptr<collect::PlcDriver> make_s7_driver(const collect::PlcConfig&, std::vector<Address>, const std::string&) {
  return nullptr;
}
}  // namespace logbot::agent::s7
