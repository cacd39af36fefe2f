#include "agent/collect/scheduler.hpp"
