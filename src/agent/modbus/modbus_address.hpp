// Modbus tag addresses, types and byte orders; no I/O. Addresses name the table and the
// 0-based protocol address (what goes on the wire, not the 1-based Modicon register number):
//
//   coil:12  (or c12, 0x12 is not hex: the table is given by name)   read/write bits
//   di:12    discrete inputs                                          read-only bits
//   hr:100   holding registers                                        read/write words
//   ir:100   input registers                                          read-only words
//
// Types BOOL (coils and discrete inputs; hr:100.3 reads bit 3 of a holding register),
// INT16, UINT16, INT32, UINT32, FLOAT32, FLOAT64; byte orders ABCD (big-endian, the Modbus
// default), CDAB (word swap), BADC (byte swap), DCBA (little-endian).
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
  std::uint16_t offset = 0;        // 0-based protocol address
  std::int8_t bit = -1;            // 0..15 for a bit of a register, else -1
  DataType type = DataType::UInt16;
  ByteOrder order = ByteOrder::ABCD;

  // Registers (or bits, for coils and discrete inputs) the value occupies.
  std::size_t count() const noexcept;
};

struct AddressError {
  std::string message;
  std::size_t position;
};

// `type` empty: BOOL for coils/di and register bits, UINT16 for registers. `order` empty: ABCD.
boost::system::result<Address, AddressError> parse_address(std::string_view address, std::string_view type = {},
                                                           std::string_view order = {});
std::string to_string(const Address& address);  // "hr:100 FLOAT32 CDAB"

}  // namespace logbot::agent::modbus
