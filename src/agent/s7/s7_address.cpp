#include "agent/s7/s7_address.hpp"
