// Modbus tag addresses, types and byte orders; no I/O. An address names the table and the
// 0-based protocol address (what goes on the wire, not the 1-based Modicon register number
// 40001 and the like), separated by a colon; table names are case-insensitive:
//
//   coil:12  c:12                     coils: read/write bits
//   di:12    discrete:12              discrete inputs: read-only bits
//   hr:100   holding:100              holding registers: read/write 16-bit words
//   ir:100   input:100                input registers: read-only 16-bit words
//   hr:100.3 ir:7.15                  one bit (0 = least significant) of a register, as BOOL
//
// Offsets are decimal, 0..65535, and the value must end at or before 65535.
//
// Types (case-insensitive; Siemens-style aliases in brackets): BOOL, INT16 (INT), UINT16 (UINT,
// WORD), INT32 (DINT), UINT32 (UDINT, DWORD), FLOAT32 (REAL, FLOAT), FLOAT64 (LREAL, DOUBLE).
// Coils, discrete inputs and register bits are BOOL; a whole register is never BOOL.
//
// Byte orders name where the value's bytes travel, A being the most significant byte and each
// register sent high byte first: ABCD big-endian (the Modbus default), CDAB word swap, BADC
// byte swap within each register, DCBA little-endian. They are two independent swaps, of the
// register order and of the bytes inside each register, so FLOAT64 (bytes A..H) follows the
// same rule over four registers: ABCD = AB CD EF GH, CDAB = GH EF CD AB, BADC = BA DC FE HG,
// DCBA = HG FE DC BA. A 16-bit value has no register order: it takes ABCD or BADC (a device
// that sends its words low byte first); CDAB and DCBA are refused for it so a typo cannot
// silently mean something else. BOOL takes no order (ABCD, the default, is accepted).
#pragma once
#include <boost/system/result.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace logbot::agent::modbus {

enum class Table : std::uint8_t { coils, discrete_inputs, holding_registers, input_registers };
enum class DataType : std::uint8_t { Bool, Int16, UInt16, Int32, UInt32, Float32, Float64 };
enum class ByteOrder : std::uint8_t { ABCD, CDAB, BADC, DCBA };

struct Address {
  Table table = Table::holding_registers;
  std::uint16_t offset = 0;  // 0-based protocol address
  std::int8_t bit = -1;      // 0..15 for a bit of a register, else -1
  DataType type = DataType::UInt16;
  ByteOrder order = ByteOrder::ABCD;

  // Registers (or bits, for coils and discrete inputs) the value occupies: 1 for BOOL and
  // 16-bit types, 2 for 32-bit, 4 for FLOAT64.
  std::size_t count() const noexcept;
};

bool is_bit_table(Table table) noexcept;  // coils, discrete inputs
bool is_writable(Table table) noexcept;   // coils, holding registers

struct AddressError {
  std::string message;   // "hr:1x0: expected a decimal register number at position 4"
  std::size_t position;  // 0-based index into the text the message names (address, type or order)
};

// `type` empty: BOOL for coils/di and register bits, UINT16 for registers. `order` empty: ABCD.
// Errors name the text, the offending position and what was expected.
boost::system::result<Address, AddressError> parse_address(std::string_view address, std::string_view type = {},
                                                           std::string_view order = {});

// Canonical text, "hr:100 FLOAT32 CDAB", "coil:3 BOOL", "hr:100.3 BOOL", "ir:5 INT16"; the order
// is printed for multi-register types and whenever it is not ABCD. Its three words parse back
// to the same Address.
std::string to_string(const Address& address);
std::string_view table_name(Table table);      // "coil", "di", "hr", "ir"
std::string_view type_name(DataType type);     // "FLOAT32"
std::string_view order_name(ByteOrder order);  // "CDAB"

}  // namespace logbot::agent::modbus
