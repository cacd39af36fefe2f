#include "agent/s7/s7_client.hpp"
