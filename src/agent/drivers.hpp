// The PLC drivers this build of logbot-agent has (S7comm, Modbus TCP), as the one factory
// the poll scheduler and the commissioning commands are given. It lives here, above
// agent/collect and the protocol folders, so that collect knows drivers only through
// collect/driver.hpp and the protocols depend on collect, never the other way round.
#pragma once
#include <string>

#include "agent/collect/driver.hpp"
#include "common/clock.hpp"

namespace logbot::agent {

// The S7 and Modbus drivers, binding PLC connections to `bind_address` (may be empty) and
// stamping readings with `clock`, which must outlive every driver made.
collect::DriverFactory make_driver_factory(std::string bind_address, const Clock& clock);

}  // namespace logbot::agent
