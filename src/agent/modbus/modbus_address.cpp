// Parsing and printing of Modbus tag addresses (see modbus_address.hpp for the notation).
#include "agent/modbus/modbus_address.hpp"

#include <array>
#include <cctype>
#include <initializer_list>
#include <optional>
#include <utility>

namespace logbot::agent::modbus {
namespace {

constexpr std::size_t kLastProtocolAddress = 65535;

char upper(char c) noexcept {
  return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (upper(a[i]) != upper(b[i])) return false;
  }
  return true;
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

struct TableSpelling {
  std::string_view name;
  Table table;
};
constexpr std::array<TableSpelling, 8> kTableSpellings{{
    {"coil", Table::coils},
    {"c", Table::coils},
    {"di", Table::discrete_inputs},
    {"discrete", Table::discrete_inputs},
    {"hr", Table::holding_registers},
    {"holding", Table::holding_registers},
    {"ir", Table::input_registers},
    {"input", Table::input_registers},
}};

struct TypeSpelling {
  std::string_view name;
  DataType type;
};
constexpr std::array<TypeSpelling, 17> kTypeSpellings{{
    {"BOOL", DataType::Bool},
    {"INT16", DataType::Int16},
    {"INT", DataType::Int16},
    {"UINT16", DataType::UInt16},
    {"UINT", DataType::UInt16},
    {"WORD", DataType::UInt16},
    {"INT32", DataType::Int32},
    {"DINT", DataType::Int32},
    {"UINT32", DataType::UInt32},
    {"UDINT", DataType::UInt32},
    {"DWORD", DataType::UInt32},
    {"FLOAT32", DataType::Float32},
    {"REAL", DataType::Float32},
    {"FLOAT", DataType::Float32},
    {"FLOAT64", DataType::Float64},
    {"LREAL", DataType::Float64},
    {"DOUBLE", DataType::Float64},
}};

constexpr std::array<std::pair<std::string_view, ByteOrder>, 4> kOrderSpellings{{
    {"ABCD", ByteOrder::ABCD},
    {"CDAB", ByteOrder::CDAB},
    {"BADC", ByteOrder::BADC},
    {"DCBA", ByteOrder::DCBA},
}};

std::size_t value_width(DataType type) noexcept {
  switch (type) {
    case DataType::Int32:
    case DataType::UInt32:
    case DataType::Float32: return 2;
    case DataType::Float64: return 4;
    default: return 1;
  }
}

// The parsing code stays free of formatting libraries (it is fuzzed and linked alone).
std::string concat(std::initializer_list<std::string_view> parts) {
  std::string text;
  for (const auto part : parts) text += part;
  return text;
}

AddressError error_at(std::string_view text, std::size_t position, std::string_view what) {
  return AddressError{concat({text, ": ", what, " at position ", std::to_string(position)}), position};
}

AddressError error_whole(std::string_view text, std::string_view what) {
  return AddressError{concat({text, ": ", what}), 0};
}

// Decimal digits from `pos`; at most `max`. Sets `pos` past the digits.
std::optional<std::size_t> parse_decimal(std::string_view text, std::size_t& pos, std::size_t max) {
  std::size_t value = 0;
  const std::size_t start = pos;
  while (pos < text.size() && is_digit(text[pos])) {
    value = value * 10 + static_cast<std::size_t>(text[pos] - '0');
    if (value > max) return std::nullopt;
    ++pos;
  }
  if (pos == start) return std::nullopt;
  return value;
}

}  // namespace

std::size_t Address::count() const noexcept {
  return value_width(type);
}

bool is_bit_table(Table table) noexcept {
  return table == Table::coils || table == Table::discrete_inputs;
}

bool is_writable(Table table) noexcept {
  return table == Table::coils || table == Table::holding_registers;
}

boost::system::result<Address, AddressError> parse_address(std::string_view address, std::string_view type,
                                                           std::string_view order) {
  Address parsed;
  if (address.empty()) {
    return AddressError{"the Modbus address is empty: write it as coil:N, di:N, hr:N or ir:N (N = 0..65535)", 0};
  }

  // Table name up to the colon.
  const std::size_t colon = address.find(':');
  if (colon == std::string_view::npos) {
    std::size_t letters = 0;
    while (letters < address.size() && std::isalpha(static_cast<unsigned char>(address[letters]))) ++letters;
    return error_at(address, letters, "expected ':' after the table name (coil, di, hr or ir), as in hr:100");
  }
  const std::string_view table_text = address.substr(0, colon);
  bool known_table = false;
  for (const auto& spelling : kTableSpellings) {
    if (equals_ignoring_case(table_text, spelling.name)) {
      parsed.table = spelling.table;
      known_table = true;
      break;
    }
  }
  if (!known_table) {
    return error_at(address, 0, "expected a table name (coil or c, di or discrete, hr or holding, ir or input)");
  }

  // Offset.
  std::size_t pos = colon + 1;
  if (pos + 1 < address.size() && address[pos] == '0' && (address[pos + 1] == 'x' || address[pos + 1] == 'X')) {
    return error_at(address, pos, "expected a decimal protocol address (hexadecimal is not accepted)");
  }
  const std::size_t offset_start = pos;
  const auto offset = parse_decimal(address, pos, kLastProtocolAddress);
  if (!offset) {
    if (offset_start < address.size() && is_digit(address[offset_start])) {
      return error_at(address, offset_start, "the protocol address must be 0..65535");
    }
    return error_at(address, offset_start, "expected a decimal protocol address 0..65535");
  }
  parsed.offset = static_cast<std::uint16_t>(*offset);

  // Optional bit of a register.
  if (pos < address.size() && address[pos] == '.') {
    if (is_bit_table(parsed.table)) {
      return error_at(address, pos, "coils and discrete inputs are single bits: a bit number is only for registers");
    }
    ++pos;
    const std::size_t bit_start = pos;
    const auto bit = parse_decimal(address, pos, 15);
    if (!bit) return error_at(address, bit_start, "expected a bit number 0..15");
    parsed.bit = static_cast<std::int8_t>(*bit);
  }
  if (pos != address.size()) {
    return error_at(address, pos, "unexpected character after the address");
  }

  // Type.
  const bool bit_value = is_bit_table(parsed.table) || parsed.bit >= 0;
  if (type.empty()) {
    parsed.type = bit_value ? DataType::Bool : DataType::UInt16;
  } else {
    bool known_type = false;
    for (const auto& spelling : kTypeSpellings) {
      if (equals_ignoring_case(type, spelling.name)) {
        parsed.type = spelling.type;
        known_type = true;
        break;
      }
    }
    if (!known_type) {
      return AddressError{concat({"type \"", type,
                                  "\": unknown Modbus type at position 0; expected BOOL, INT16, UINT16, INT32, "
                                  "UINT32, FLOAT32 or FLOAT64"}),
                          0};
    }
    if (bit_value && parsed.type != DataType::Bool) {
      return error_whole(address, concat({parsed.bit >= 0 ? "a register bit" : "this table",
                                          " holds a single bit, so its type is BOOL, not ", type}));
    }
    if (!bit_value && parsed.type == DataType::Bool) {
      return error_whole(address, "BOOL in a register needs a bit number, as in hr:100.3; or use coil:N or di:N");
    }
  }

  // Byte order.
  if (!order.empty()) {
    bool known_order = false;
    for (const auto& [name, value] : kOrderSpellings) {
      if (equals_ignoring_case(order, name)) {
        parsed.order = value;
        known_order = true;
        break;
      }
    }
    if (!known_order) {
      return AddressError{concat({"order \"", order,
                                  "\": unknown byte order at position 0; expected ABCD (big-endian), CDAB (word "
                                  "swap), BADC (byte swap) or DCBA (little-endian)"}),
                          0};
    }
    if (parsed.type == DataType::Bool && parsed.order != ByteOrder::ABCD) {
      return error_whole(address, concat({"a BOOL has no byte order; remove order \"", order, "\""}));
    }
    if (parsed.count() == 1 && (parsed.order == ByteOrder::CDAB || parsed.order == ByteOrder::DCBA)) {
      return error_whole(address, concat({"a one-register ", type_name(parsed.type), " has no word order, so ", order,
                                          " does not apply; use ABCD, or BADC for a device that sends the low byte "
                                          "first"}));
    }
  }

  if (static_cast<std::size_t>(parsed.offset) + parsed.count() - 1 > kLastProtocolAddress) {
    return error_whole(
        address, concat({"a ", type_name(parsed.type), " needs ", std::to_string(parsed.count()), " registers from ",
                         std::to_string(parsed.offset), ", past the last address 65535"}));
  }
  return parsed;
}

std::string_view table_name(Table table) {
  switch (table) {
    case Table::coils: return "coil";
    case Table::discrete_inputs: return "di";
    case Table::holding_registers: return "hr";
    case Table::input_registers: return "ir";
  }
  return "?";
}

std::string_view type_name(DataType type) {
  switch (type) {
    case DataType::Bool: return "BOOL";
    case DataType::Int16: return "INT16";
    case DataType::UInt16: return "UINT16";
    case DataType::Int32: return "INT32";
    case DataType::UInt32: return "UINT32";
    case DataType::Float32: return "FLOAT32";
    case DataType::Float64: return "FLOAT64";
  }
  return "?";
}

std::string_view order_name(ByteOrder order) {
  switch (order) {
    case ByteOrder::ABCD: return "ABCD";
    case ByteOrder::CDAB: return "CDAB";
    case ByteOrder::BADC: return "BADC";
    case ByteOrder::DCBA: return "DCBA";
  }
  return "?";
}

std::string to_string(const Address& address) {
  std::string text = concat({table_name(address.table), ":", std::to_string(address.offset)});
  if (address.bit >= 0) text += concat({".", std::to_string(address.bit)});
  text += concat({" ", type_name(address.type)});
  if (address.count() > 1 || address.order != ByteOrder::ABCD) text += concat({" ", order_name(address.order)});
  return text;
}

}  // namespace logbot::agent::modbus
