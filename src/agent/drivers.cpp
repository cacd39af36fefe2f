#include "agent/drivers.hpp"

#include <memory>
#include <span>
#include <variant>
#include <vector>

#include "agent/modbus/modbus_driver.hpp"
#include "agent/s7/s7_driver.hpp"

namespace logbot::agent {

collect::DriverFactory make_driver_factory(std::string bind_address, const Clock& clock) {
  return [bind_address = std::move(bind_address), &clock](
             const collect::CollectConfig& config, std::size_t plc_index,
             std::span<const std::size_t> tags) -> std::unique_ptr<collect::PlcDriver> {
    const collect::PlcConfig& plc = config.plcs.at(plc_index);
    if (std::holds_alternative<collect::S7Connection>(plc.protocol)) {
      std::vector<s7::Address> addresses;
      for (std::size_t tag : tags) addresses.push_back(std::get<s7::Address>(config.tags.at(tag).address));
      return s7::make_s7_driver(plc, std::move(addresses), bind_address, clock);
    }
    std::vector<modbus::Address> addresses;
    for (std::size_t tag : tags) addresses.push_back(std::get<modbus::Address>(config.tags.at(tag).address));
    return modbus::make_modbus_driver(plc, std::move(addresses), bind_address, clock);
  };
}

}  // namespace logbot::agent
