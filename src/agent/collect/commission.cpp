#include "agent/collect/commission.hpp"
