#include "agent/collect/value.hpp"
