#include "agent/s7/s7_pdu.hpp"
