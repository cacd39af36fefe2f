// Modbus register and bit decoding (byte orders, scale), and the read coalescing plan. No I/O.
#pragma once
