#include "agent/s7/s7_value.hpp"
