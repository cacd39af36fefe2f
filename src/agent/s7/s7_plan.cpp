#include "agent/s7/s7_plan.hpp"
