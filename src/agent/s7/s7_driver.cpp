#include "agent/s7/s7_driver.hpp"

// PLACEHOLDER until the S7 driver lands (replace this whole file).
namespace logbot::agent::s7 {
std::unique_ptr<collect::PlcDriver> make_s7_driver(const collect::PlcConfig&, std::vector<Address>, const std::string&) {
  throw collect::DriverError("S7 driver: not built yet");
}
}  // namespace logbot::agent::s7
