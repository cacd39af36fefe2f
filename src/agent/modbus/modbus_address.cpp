#include "agent/modbus/modbus_address.hpp"
