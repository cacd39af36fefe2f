// The S7comm driver: a collect::PlcDriver over agent/s7/s7_client (TPKT/COTP/S7 on Boost.Asio).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "agent/collect/collect_config.hpp"
#include "agent/collect/driver.hpp"
#include "common/clock.hpp"

namespace logbot::agent::s7 {

// `plc.protocol` holds an S7Connection; `tags` are the addresses of the driver's tag list;
// `bind_address` (may be empty) is the automation-side local address for the TCP connection.
// Readings are stamped by `clock`, which must outlive the driver.
std::unique_ptr<collect::PlcDriver> make_s7_driver(const collect::PlcConfig& plc, std::vector<Address> tags,
                                                   const std::string& bind_address, const Clock& clock);

}  // namespace logbot::agent::s7
