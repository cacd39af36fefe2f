// The Modbus TCP driver: a collect::PlcDriver over libmodbus (blocking; it runs on its
// connection worker's thread, never on an event loop).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "agent/collect/collect_config.hpp"
#include "agent/collect/driver.hpp"
#include "common/clock.hpp"

namespace logbot::agent::modbus {

// `plc.protocol` holds a ModbusConnection; `bind_address` (may be empty) is the
// automation-side local address for the TCP connection. Readings are stamped by `clock`,
// which must outlive the driver.
std::unique_ptr<collect::PlcDriver> make_modbus_driver(const collect::PlcConfig& plc, std::vector<Address> tags,
                                                       const std::string& bind_address, const logbot::Clock& clock);

}  // namespace logbot::agent::modbus
