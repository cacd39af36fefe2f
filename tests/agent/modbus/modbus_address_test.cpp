// Modbus address parsing: tables and spellings, bits, types and orders, errors with positions,
// the canonical text and the register count.
#include "agent/modbus/modbus_address.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <tuple>

namespace logbot::agent::modbus {
namespace {

Address parse_ok(std::string_view address, std::string_view type = {}, std::string_view order = {}) {
  auto parsed = parse_address(address, type, order);
  EXPECT_TRUE(parsed.has_value()) << address << " " << type << " " << order << ": "
                                  << (parsed ? "" : parsed.error().message);
  return parsed ? *parsed : Address{};
}

AddressError parse_error(std::string_view address, std::string_view type = {}, std::string_view order = {}) {
  auto parsed = parse_address(address, type, order);
  EXPECT_FALSE(parsed.has_value()) << address << " " << type << " " << order << " parsed as " << to_string(*parsed);
  return parsed ? AddressError{} : parsed.error();
}

TEST(ModbusAddress, EveryTableAndSpellingCaseInsensitive) {
  const std::tuple<std::string_view, Table> cases[] = {
      {"coil:12", Table::coils},
      {"c:12", Table::coils},
      {"COIL:12", Table::coils},
      {"C:12", Table::coils},
      {"di:12", Table::discrete_inputs},
      {"discrete:12", Table::discrete_inputs},
      {"DI:12", Table::discrete_inputs},
      {"hr:12", Table::holding_registers},
      {"holding:12", Table::holding_registers},
      {"Hr:12", Table::holding_registers},
      {"ir:12", Table::input_registers},
      {"input:12", Table::input_registers},
      {"IR:12", Table::input_registers},
  };
  for (const auto& [text, table] : cases) {
    const Address address = parse_ok(text);
    EXPECT_EQ(address.table, table) << text;
    EXPECT_EQ(address.offset, 12) << text;
    EXPECT_EQ(address.bit, -1) << text;
  }
}

TEST(ModbusAddress, DefaultTypesAreBoolForBitsAndUint16ForRegisters) {
  EXPECT_EQ(parse_ok("coil:0").type, DataType::Bool);
  EXPECT_EQ(parse_ok("di:0").type, DataType::Bool);
  EXPECT_EQ(parse_ok("hr:0").type, DataType::UInt16);
  EXPECT_EQ(parse_ok("ir:0").type, DataType::UInt16);
  EXPECT_EQ(parse_ok("hr:0.7").type, DataType::Bool);
  EXPECT_EQ(parse_ok("hr:0").order, ByteOrder::ABCD);
}

TEST(ModbusAddress, OffsetLimits) {
  EXPECT_EQ(parse_ok("hr:0").offset, 0);
  EXPECT_EQ(parse_ok("hr:65535").offset, 65535);
  EXPECT_EQ(parse_ok("coil:65535").offset, 65535);
  EXPECT_EQ(parse_ok("hr:65534", "FLOAT32").offset, 65534);
  EXPECT_EQ(parse_ok("hr:65532", "FLOAT64").offset, 65532);

  const AddressError too_big = parse_error("hr:65536");
  EXPECT_EQ(too_big.position, 3U);
  EXPECT_NE(too_big.message.find("0..65535"), std::string::npos) << too_big.message;

  // A value must end at 65535 at the latest.
  EXPECT_NE(parse_error("hr:65535", "FLOAT32").message.find("past the last address 65535"), std::string::npos);
  parse_error("hr:65533", "FLOAT64");
}

TEST(ModbusAddress, RegisterBits) {
  const Address first = parse_ok("hr:100.0");
  EXPECT_EQ(first.bit, 0);
  EXPECT_EQ(first.type, DataType::Bool);
  const Address last = parse_ok("ir:7.15", "BOOL");
  EXPECT_EQ(last.table, Table::input_registers);
  EXPECT_EQ(last.offset, 7);
  EXPECT_EQ(last.bit, 15);

  const AddressError sixteen = parse_error("hr:100.16");
  EXPECT_EQ(sixteen.position, 7U);
  EXPECT_NE(sixteen.message.find("bit number 0..15"), std::string::npos) << sixteen.message;
  EXPECT_EQ(parse_error("hr:100.").position, 7U);
  EXPECT_EQ(parse_error("coil:3.1").position, 6U);
  EXPECT_EQ(parse_error("di:3.1").position, 4U);
}

TEST(ModbusAddress, TypesAndAliases) {
  const std::tuple<std::string_view, DataType, std::size_t> cases[] = {
      {"INT16", DataType::Int16, 1},    {"int", DataType::Int16, 1},       {"UINT16", DataType::UInt16, 1},
      {"uint", DataType::UInt16, 1},    {"WORD", DataType::UInt16, 1},     {"INT32", DataType::Int32, 2},
      {"dint", DataType::Int32, 2},     {"UINT32", DataType::UInt32, 2},   {"UDINT", DataType::UInt32, 2},
      {"dword", DataType::UInt32, 2},   {"FLOAT32", DataType::Float32, 2}, {"real", DataType::Float32, 2},
      {"Float", DataType::Float32, 2},  {"FLOAT64", DataType::Float64, 4}, {"LREAL", DataType::Float64, 4},
      {"double", DataType::Float64, 4},
  };
  for (const auto& [text, type, count] : cases) {
    const Address address = parse_ok("hr:10", text);
    EXPECT_EQ(address.type, type) << text;
    EXPECT_EQ(address.count(), count) << text;
  }
  EXPECT_EQ(parse_ok("coil:1", "bool").count(), 1U);
  EXPECT_EQ(parse_ok("hr:1.1", "BOOL").count(), 1U);
}

TEST(ModbusAddress, TypeMustFitTheTable) {
  EXPECT_NE(parse_error("coil:1", "INT16").message.find("BOOL"), std::string::npos);
  EXPECT_NE(parse_error("di:1", "FLOAT32").message.find("BOOL"), std::string::npos);
  EXPECT_NE(parse_error("hr:1.2", "UINT16").message.find("BOOL"), std::string::npos);
  const AddressError whole_register_bool = parse_error("hr:1", "BOOL");
  EXPECT_NE(whole_register_bool.message.find("hr:100.3"), std::string::npos) << whole_register_bool.message;
  const AddressError unknown = parse_error("hr:1", "FLOAT16");
  EXPECT_EQ(unknown.position, 0U);
  EXPECT_NE(unknown.message.find("FLOAT16"), std::string::npos) << unknown.message;
}

TEST(ModbusAddress, OrdersForEachWidth) {
  for (const std::string_view type : {"INT32", "UINT32", "FLOAT32", "FLOAT64"}) {
    EXPECT_EQ(parse_ok("hr:0", type, "ABCD").order, ByteOrder::ABCD);
    EXPECT_EQ(parse_ok("hr:0", type, "cdab").order, ByteOrder::CDAB);
    EXPECT_EQ(parse_ok("hr:0", type, "BADC").order, ByteOrder::BADC);
    EXPECT_EQ(parse_ok("hr:0", type, "dcba").order, ByteOrder::DCBA);
  }
  // 16-bit: big-endian or byte swap; a word order means nothing for one register.
  for (const std::string_view type : {"INT16", "UINT16"}) {
    EXPECT_EQ(parse_ok("ir:0", type, "ABCD").order, ByteOrder::ABCD);
    EXPECT_EQ(parse_ok("ir:0", type, "BADC").order, ByteOrder::BADC);
    EXPECT_NE(parse_error("ir:0", type, "CDAB").message.find("no word order"), std::string::npos);
    parse_error("ir:0", type, "DCBA");
  }
  // BOOL takes no order but the default.
  EXPECT_EQ(parse_ok("coil:0", {}, "ABCD").order, ByteOrder::ABCD);
  EXPECT_NE(parse_error("coil:0", {}, "BADC").message.find("no byte order"), std::string::npos);
  parse_error("hr:0.1", {}, "DCBA");

  const AddressError unknown = parse_error("hr:0", "FLOAT32", "ABDC");
  EXPECT_EQ(unknown.position, 0U);
  EXPECT_NE(unknown.message.find("ABDC"), std::string::npos);
}

TEST(ModbusAddress, SyntaxErrorsNameThePosition) {
  const std::tuple<std::string_view, std::size_t, std::string_view> cases[] = {
      {"hr100", 2, "expected ':'"},
      {"holding_register:1", 0, "expected a table name"},
      {"x:1", 0, "expected a table name"},
      {":1", 0, "expected a table name"},
      {"hr:", 3, "expected a decimal protocol address"},
      {"hr:-1", 3, "expected a decimal protocol address"},
      {"hr:1x0", 4, "unexpected character"},
      {"hr:0x10", 3, "hexadecimal"},
      {"coil:12 ", 7, "unexpected character"},
      {"hr:1.2.3", 6, "unexpected character"},
      {"40001", 0, "expected ':'"},
  };
  for (const auto& [text, position, words] : cases) {
    const AddressError error = parse_error(text);
    EXPECT_EQ(error.position, position) << text << ": " << error.message;
    EXPECT_NE(error.message.find(words), std::string::npos) << text << ": " << error.message;
    EXPECT_EQ(error.message.rfind(std::string(text) + ":", 0), 0U)
        << "the message starts with the address: " << error.message;
  }
  EXPECT_FALSE(parse_address("").has_value());
}

TEST(ModbusAddress, CanonicalTextParsesBack) {
  EXPECT_EQ(to_string(parse_ok("HOLDING:100", "real", "cdab")), "hr:100 FLOAT32 CDAB");
  EXPECT_EQ(to_string(parse_ok("c:3")), "coil:3 BOOL");
  EXPECT_EQ(to_string(parse_ok("discrete:4")), "di:4 BOOL");
  EXPECT_EQ(to_string(parse_ok("hr:100.3")), "hr:100.3 BOOL");
  EXPECT_EQ(to_string(parse_ok("input:5", "INT")), "ir:5 INT16");
  EXPECT_EQ(to_string(parse_ok("ir:5", "INT16", "BADC")), "ir:5 INT16 BADC");
  EXPECT_EQ(to_string(parse_ok("hr:0", "FLOAT64")), "hr:0 FLOAT64 ABCD");

  for (const auto& [address, type, order] : {std::tuple{"hr:1", "UINT32", "DCBA"},
                                             {"ir:65532", "FLOAT64", "BADC"},
                                             {"coil:9", "", ""},
                                             {"hr:2.15", "", ""},
                                             {"ir:3", "UINT16", "BADC"}}) {
    const Address parsed = parse_ok(address, type, order);
    const std::string text = to_string(parsed);
    const auto first_space = text.find(' ');
    const auto second_space = text.find(' ', first_space + 1);
    const std::string order_text = second_space == std::string::npos ? "" : text.substr(second_space + 1);
    const Address again =
        parse_ok(text.substr(0, first_space), text.substr(first_space + 1, second_space - first_space - 1), order_text);
    EXPECT_EQ(to_string(again), text);
    EXPECT_EQ(again.table, parsed.table);
    EXPECT_EQ(again.offset, parsed.offset);
    EXPECT_EQ(again.bit, parsed.bit);
    EXPECT_EQ(again.type, parsed.type);
    EXPECT_EQ(again.order, parsed.order);
  }
}

// Arbitrary text never crashes the parser (run under ASan/UBSan), and what parses prints back.
TEST(ModbusAddress, ArbitraryTextIsRejectedOrParsedCleanly) {
  std::mt19937 random(11);
  const std::string alphabet("chridsCHRIDS:.0123456789x- \x00\xff", 29);
  for (int round = 0; round < 5000; ++round) {
    std::string text;
    const std::size_t length = random() % 14;
    for (std::size_t i = 0; i < length; ++i) text += alphabet[random() % alphabet.size()];
    const auto parsed = parse_address(text);
    if (parsed) {
      EXPECT_FALSE(to_string(*parsed).empty());
    } else {
      EXPECT_LE(parsed.error().position, text.size()) << text;
      EXPECT_FALSE(parsed.error().message.empty());
    }
  }
}

TEST(ModbusAddress, WritableTables) {
  EXPECT_TRUE(is_writable(Table::coils));
  EXPECT_TRUE(is_writable(Table::holding_registers));
  EXPECT_FALSE(is_writable(Table::discrete_inputs));
  EXPECT_FALSE(is_writable(Table::input_registers));
}

}  // namespace
}  // namespace logbot::agent::modbus
