#include "agent/modbus/modbus_codec.hpp"
