#include "agent/modbus/modbus_driver.hpp"

// PLACEHOLDER until the Modbus driver lands (replace this whole file).
namespace logbot::agent::modbus {
std::unique_ptr<collect::PlcDriver> make_modbus_driver(const collect::PlcConfig&, std::vector<Address>, const std::string&) {
  return nullptr;
}
}  // namespace logbot::agent::modbus
