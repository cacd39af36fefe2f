// S7 addresses: every area and width, German mnemonics, types against widths, and every error
// with its position.
#include "agent/s7/s7_address.hpp"

#include <gtest/gtest.h>

namespace logbot::agent::s7 {
namespace {

Address parsed(std::string_view text, std::string_view type = {}) {
  auto address = parse_address(text, type);
  EXPECT_TRUE(address.has_value()) << text << " " << type << ": " << address.error().message;
  return address.has_value() ? *address : Address{};
}

AddressError failure(std::string_view text, std::string_view type = {}) {
  auto address = parse_address(text, type);
  EXPECT_FALSE(address.has_value()) << text << " " << type << " was accepted";
  return address.has_value() ? AddressError{"", 999} : address.error();
}

TEST(S7Address, DataBlockWidths) {
  const Address bit = parsed("DB10.DBX4.3");
  EXPECT_EQ(bit.area, Area::data_block);
  EXPECT_EQ(bit.db, 10);
  EXPECT_EQ(bit.offset, 4u);
  EXPECT_EQ(bit.bit, 3);
  EXPECT_EQ(bit.type, DataType::Bool);
  EXPECT_EQ(bit.size(), 1u);

  const Address byte = parsed("DB10.DBB5");
  EXPECT_EQ(byte.offset, 5u);
  EXPECT_EQ(byte.type, DataType::Byte);
  EXPECT_EQ(byte.size(), 1u);

  const Address word = parsed("DB10.DBW6");
  EXPECT_EQ(word.type, DataType::Word);
  EXPECT_EQ(word.size(), 2u);

  const Address dword = parsed("DB10.DBD8");
  EXPECT_EQ(dword.type, DataType::DWord);
  EXPECT_EQ(dword.size(), 4u);
}

TEST(S7Address, ProcessImageAndFlagsInBothLanguages) {
  struct Case {
    std::string_view text;
    Area area;
    DataType type;
    std::uint32_t offset;
    std::uint8_t bit;
  };
  const Case cases[] = {
      {"I0.0", Area::inputs, DataType::Bool, 0, 0},         {"E0.7", Area::inputs, DataType::Bool, 0, 7},
      {"IB1", Area::inputs, DataType::Byte, 1, 0},          {"EB1", Area::inputs, DataType::Byte, 1, 0},
      {"IW2", Area::inputs, DataType::Word, 2, 0},          {"EW2", Area::inputs, DataType::Word, 2, 0},
      {"ID4", Area::inputs, DataType::DWord, 4, 0},         {"ED4", Area::inputs, DataType::DWord, 4, 0},
      {"Q1.2", Area::outputs, DataType::Bool, 1, 2},        {"A1.2", Area::outputs, DataType::Bool, 1, 2},
      {"QB1", Area::outputs, DataType::Byte, 1, 0},         {"AB1", Area::outputs, DataType::Byte, 1, 0},
      {"QW2", Area::outputs, DataType::Word, 2, 0},         {"AW2", Area::outputs, DataType::Word, 2, 0},
      {"QD4", Area::outputs, DataType::DWord, 4, 0},        {"AD4", Area::outputs, DataType::DWord, 4, 0},
      {"M5.1", Area::flags, DataType::Bool, 5, 1},          {"MB5", Area::flags, DataType::Byte, 5, 0},
      {"MW20", Area::flags, DataType::Word, 20, 0},         {"MD24", Area::flags, DataType::DWord, 24, 0},
      {"T3", Area::timers, DataType::S5Time, 3, 0},         {"C4", Area::counters, DataType::Counter, 4, 0},
      {"Z4", Area::counters, DataType::Counter, 4, 0},      {"m65535.7", Area::flags, DataType::Bool, 65535, 7},
      {"db1.dbw0", Area::data_block, DataType::Word, 0, 0},
  };
  for (const Case& c : cases) {
    const Address a = parsed(c.text);
    EXPECT_EQ(a.area, c.area) << c.text;
    EXPECT_EQ(a.type, c.type) << c.text;
    EXPECT_EQ(a.offset, c.offset) << c.text;
    EXPECT_EQ(a.bit, c.bit) << c.text;
  }
  EXPECT_EQ(parsed("T3").size(), 2u);
  EXPECT_EQ(parsed("C4").size(), 2u);
}

TEST(S7Address, NumberLimits) {
  EXPECT_EQ(parsed("DB65535.DBB65535").db, 65535);
  EXPECT_EQ(parsed("DB1.DBB65535").offset, 65535u);
  EXPECT_EQ(parsed("T65535").offset, 65535u);
  EXPECT_EQ(parsed("C65535").offset, 65535u);
  EXPECT_EQ(parsed("DB007.DBW010").offset, 10u);  // leading zeros are digits like any other

  EXPECT_EQ(failure("DB0.DBW0").position, 2u);
  EXPECT_EQ(failure("DB65536.DBW0").position, 2u);
  EXPECT_EQ(failure("DB1.DBW65536").position, 7u);
  EXPECT_EQ(failure("MW65536").position, 2u);
  EXPECT_EQ(failure("T65536").position, 1u);
  EXPECT_EQ(failure("C99999999999999999999999999").position, 1u);
  EXPECT_EQ(failure("DB99999999999999999999999999.DBW0").position, 2u);
  EXPECT_EQ(failure("M0.8").position, 3u);
  EXPECT_EQ(failure("DB1.DBX0.99999999999999999999").position, 9u);
}

TEST(S7Address, ErrorsNamePositionAndExpectation) {
  const AddressError q = failure("DB10.DBQ4");
  EXPECT_EQ(q.position, 7u);
  EXPECT_EQ(q.message, "DB10.DBQ4: at position 8 expected X, B, W or D after 'DB10.DB'");

  struct Case {
    std::string_view text;
    std::size_t position;
    std::string_view expected;
  };
  const Case cases[] = {
      {"", 0, "empty address"},
      {"X1", 0, "expected an area: DB, I (E), Q (A), M, T or C (Z)"},
      {"DX1", 1, "expected B (a data block address starts with DB, as in DB10.DBW0) after 'D'"},
      {"DB", 2, "expected a data block number 1..65535 after 'DB'"},
      {"DB10", 4, "expected '.' after 'DB10'"},
      {"DB10,DBW0", 4, "expected '.' after 'DB10'"},
      {"DB10.W0", 5, "expected DB (the data block's width"},
      {"DB10.DW0", 6, "expected DB"},
      {"DB10.DBW", 8, "expected a byte offset 0..65535 after 'DB10.DBW'"},
      {"DB10.DBX4", 9, "expected '.' and a bit number 0..7 after 'DB10.DBX4'"},
      {"DB10.DBX4.", 10, "expected a bit number 0..7 after 'DB10.DBX4.'"},
      {"DB10.DBX4.8", 10, "expected a bit number 0..7, got 8 after 'DB10.DBX4.'"},
      {"DB10.DBW6.1", 9, "only a bit address"},
      {"DB10.DBW6x", 9, "expected the end of the address after 'DB10.DBW6'"},
      {"DB10.DBW6 ", 9, "expected the end of the address"},
      {" DB10.DBW6", 0, "expected an area"},
      {"M", 1, "expected a byte offset or a width letter B, W or D after 'M'"},
      {"MX0.0", 1, "expected a byte offset or a width letter B, W or D"},
      {"M5", 2, "expected '.' and a bit number 0..7 after 'M5'"},
      {"MW", 2, "expected a byte offset 0..65535 after 'MW'"},
      {"I-1.0", 1, "expected a byte offset or a width letter"},
      {"T", 1, "expected a timer number 0..65535 after 'T'"},
      {"Z", 1, "expected a counter number 0..65535 after 'Z'"},
      {"T3.1", 2, "expected the end of the address"},
      {"C4x", 2, "expected the end of the address after 'C4'"},
      {"MW+2", 2, "expected a byte offset"},
  };
  for (const Case& c : cases) {
    const AddressError error = failure(c.text);
    EXPECT_EQ(error.position, c.position) << c.text << ": " << error.message;
    EXPECT_NE(error.message.find(c.expected), std::string::npos) << c.text << ": " << error.message;
    if (!c.text.empty()) {
      EXPECT_EQ(error.message.rfind(std::string(c.text) + ":", 0), 0u) << error.message;
      EXPECT_NE(error.message.find("at position " + std::to_string(c.position + 1) + " "), std::string::npos)
          << error.message;
    }
  }
}

TEST(S7Address, MessagesShowControlBytesEscapedAndLongTextCut) {
  const AddressError error = failure(std::string_view("M\x01\xff", 3));
  EXPECT_EQ(error.message.rfind("M\\x01\\xFF: at position 2", 0), 0u) << error.message;
  const std::string long_text = "DB1.DBW1" + std::string(200, 'x');
  const AddressError long_error = failure(long_text);
  EXPECT_EQ(long_error.position, 8u);
  EXPECT_LT(long_error.message.size(), 250u) << long_error.message;
  EXPECT_NE(long_error.message.find("..."), std::string::npos);
}

TEST(S7Address, TypesFittingEachWidth) {
  EXPECT_EQ(parsed("DB1.DBX0.0", "bool").type, DataType::Bool);
  for (auto [type, expected] : {std::pair{"BYTE", DataType::Byte},
                                {"CHAR", DataType::Char},
                                {"LREAL", DataType::LReal},
                                {"DATE_AND_TIME", DataType::DateAndTime},
                                {"STRING[20]", DataType::String}}) {
    EXPECT_EQ(parsed("DB1.DBB2", type).type, expected) << type;
    EXPECT_EQ(parsed("MB2", type).type, expected) << type;
  }
  for (auto [type, expected] : {std::pair{"WORD", DataType::Word},
                                {"INT", DataType::Int},
                                {"UINT", DataType::UInt},
                                {"S5TIME", DataType::S5Time},
                                {"DATE", DataType::Date}})
    EXPECT_EQ(parsed("IW2", type).type, expected) << type;
  for (auto [type, expected] : {std::pair{"DWORD", DataType::DWord},
                                {"DINT", DataType::DInt},
                                {"UDINT", DataType::UDInt},
                                {"REAL", DataType::Real},
                                {"TIME", DataType::Time}})
    EXPECT_EQ(parsed("QD4", type).type, expected) << type;
  EXPECT_EQ(parsed("T1", "S5TIME").type, DataType::S5Time);
  EXPECT_EQ(parsed("C1", "COUNTER").type, DataType::Counter);
  EXPECT_EQ(parsed("Z1", "WORD").type, DataType::Word);
  EXPECT_EQ(parsed("MD0", "real").type, DataType::Real);  // case-insensitive
}

TEST(S7Address, SizesOfEveryType) {
  EXPECT_EQ(parsed("MB0", "LREAL").size(), 8u);
  EXPECT_EQ(parsed("MB0", "DATE_AND_TIME").size(), 8u);
  EXPECT_EQ(parsed("MB0", "CHAR").size(), 1u);
  EXPECT_EQ(parsed("MW0", "DATE").size(), 2u);
  EXPECT_EQ(parsed("MW0", "S5TIME").size(), 2u);
  EXPECT_EQ(parsed("MD0", "TIME").size(), 4u);
  EXPECT_EQ(parsed("MD0", "REAL").size(), 4u);
  EXPECT_EQ(parsed("MB0", "STRING[20]").size(), 22u);
  EXPECT_EQ(parsed("Z0", "WORD").size(), 2u);
}

TEST(S7Address, StringLengths) {
  EXPECT_EQ(parsed("DB1.DBB0", "STRING[1]").string_length, 1);
  EXPECT_EQ(parsed("DB1.DBB0", "string[254]").string_length, 254);
  const Address plain = parsed("DB1.DBB0", "STRING");
  EXPECT_EQ(plain.string_length, 254);
  EXPECT_EQ(plain.size(), 256u);

  // Positions count in "ADDRESS TYPE": the type starts at 9 after "DB1.DBB0 ".
  EXPECT_EQ(failure("DB1.DBB0", "STRING[0]").position, 9u + 7);
  EXPECT_EQ(failure("DB1.DBB0", "STRING[255]").position, 9u + 7);
  EXPECT_EQ(failure("DB1.DBB0", "STRING[99999999999999999999]").position, 9u + 7);
  EXPECT_EQ(failure("DB1.DBB0", "STRING[]").position, 9u + 7);
  EXPECT_EQ(failure("DB1.DBB0", "STRING[20").position, 9u + 9);
  EXPECT_EQ(failure("DB1.DBB0", "STRING[20]x").position, 9u + 10);
  EXPECT_EQ(failure("DB1.DBB0", "STRING[ 20]").position, 9u + 7);
  const AddressError error = failure("DB1.DBB0", "STRING[255]");
  EXPECT_EQ(error.message, "DB1.DBB0 STRING[255]: at position 8 of the type expected a string length 1..254");
}

TEST(S7Address, TypeErrorsSayWhichTypesFit) {
  const AddressError real_in_word = failure("DB10.DBW6", "REAL");
  EXPECT_EQ(real_in_word.position, 10u);
  EXPECT_EQ(
      real_in_word.message,
      "DB10.DBW6 REAL: a word address (W) holds WORD, INT, UINT, S5TIME, DATE or WCHAR, not REAL; write DB10.DBD6 for "
      "a REAL");
  EXPECT_NE(failure("MB0", "BOOL").message.find("write M0.0 for a BOOL"), std::string::npos);
  EXPECT_NE(failure("DB1.DBB3", "BOOL").message.find("write DB1.DBX3.0 for a BOOL"), std::string::npos);
  EXPECT_NE(failure("DB1.DBX0.0", "BYTE").message.find("a bit address holds BOOL only"), std::string::npos);
  EXPECT_NE(failure("MD0", "LREAL").message.find("write MB0 for a LREAL"), std::string::npos);
  EXPECT_NE(failure("MW0", "STRING[4]").message.find("write MB0 for a STRING"), std::string::npos);
  EXPECT_NE(failure("IB0", "INT").message.find("a byte address (B) holds BYTE, CHAR"), std::string::npos);
  EXPECT_NE(failure("ID0", "WORD").message.find("DWORD, DINT, UDINT, REAL, TIME or TOD"), std::string::npos);
  EXPECT_NE(failure("T1", "WORD").message.find("a timer holds S5TIME only"), std::string::npos);
  EXPECT_NE(failure("C1", "INT").message.find("a counter holds COUNTER"), std::string::npos);
  EXPECT_NE(failure("MW0", "COUNTER").message.find("not COUNTER"), std::string::npos);

  const AddressError unknown = failure("MW0", "FLOAT");
  EXPECT_EQ(unknown.position, 4u);
  EXPECT_NE(unknown.message.find("unknown type; expected BOOL, BYTE"), std::string::npos) << unknown.message;
  EXPECT_EQ(failure("MW0", " INT").position, 4u);  // strict: no spaces
  EXPECT_EQ(failure("MW0", "INT ").position, 4u);
}

TEST(S7Address, CanonicalTextRoundTrips) {
  struct Case {
    std::string_view text, type, canonical;
  };
  const Case cases[] = {
      {"DB10.DBD8", "REAL", "DB10.DBD8 REAL"},
      {"m5.1", "", "M5.1 BOOL"},
      {"T3", "", "T3 S5TIME"},
      {"Z4", "", "C4 COUNTER"},
      {"E0.0", "", "I0.0 BOOL"},
      {"AW2", "INT", "QW2 INT"},
      {"DB1.DBX4.3", "", "DB1.DBX4.3 BOOL"},
      {"MB0", "STRING", "MB0 STRING[254]"},
      {"DB2.DBB10", "string[8]", "DB2.DBB10 STRING[8]"},
      {"ID4", "TIME", "ID4 TIME"},
      {"QB1", "DATE_AND_TIME", "QB1 DATE_AND_TIME"},
      {"C1", "WORD", "C1 WORD"},
      {"MW2", "DATE", "MW2 DATE"},
  };
  for (const Case& c : cases) {
    const Address a = parsed(c.text, c.type);
    const std::string canonical = to_string(a);
    EXPECT_EQ(canonical, c.canonical);
    const auto space = canonical.find(' ');
    const Address again =
        parsed(std::string_view(canonical).substr(0, space), std::string_view(canonical).substr(space + 1));
    EXPECT_EQ(to_string(again), canonical);
    EXPECT_EQ(again.size(), a.size());
  }
}

TEST(S7Address, TypeNames) {
  EXPECT_EQ(type_name(DataType::DateAndTime), "DATE_AND_TIME");
  EXPECT_EQ(type_name(DataType::String), "STRING");
  EXPECT_EQ(type_name(DataType::S5Time), "S5TIME");
  EXPECT_EQ(type_name(DataType::Counter), "COUNTER");
}

// TIA Portal shows absolute addresses with a leading '%'; it is the same address, and the
// positions in errors still count it, so they point at what was typed.
TEST(S7Address, TiaPortalPercentPrefix) {
  struct Case {
    std::string_view text;
    Area area;
    DataType type;
    std::uint16_t db;
    std::uint32_t offset;
    std::uint8_t bit;
  };
  const Case cases[] = {
      {"%MW20", Area::flags, DataType::Word, 0, 20, 0},
      {"%DB10.DBW2", Area::data_block, DataType::Word, 10, 2, 0},
      {"%I0.0", Area::inputs, DataType::Bool, 0, 0, 0},
      {"%Q1.2", Area::outputs, DataType::Bool, 0, 1, 2},
      {"%E0.7", Area::inputs, DataType::Bool, 0, 0, 7},
      {"%A1.2", Area::outputs, DataType::Bool, 0, 1, 2},
      {"%DB10.DBX4.3", Area::data_block, DataType::Bool, 10, 4, 3},
      {"%MD24", Area::flags, DataType::DWord, 0, 24, 0},
      {"%ib1", Area::inputs, DataType::Byte, 0, 1, 0},
      {"%T3", Area::timers, DataType::S5Time, 0, 3, 0},
      {"%Z4", Area::counters, DataType::Counter, 0, 4, 0},
  };
  for (const Case& c : cases) {
    const Address a = parsed(c.text);
    EXPECT_EQ(a.area, c.area) << c.text;
    EXPECT_EQ(a.type, c.type) << c.text;
    EXPECT_EQ(a.db, c.db) << c.text;
    EXPECT_EQ(a.offset, c.offset) << c.text;
    EXPECT_EQ(a.bit, c.bit) << c.text;
  }
  EXPECT_EQ(to_string(parsed("%DB10.DBD4", "REAL")), "DB10.DBD4 REAL");  // printed without the '%'

  const AddressError q = failure("%DB10.DBQ4");
  EXPECT_EQ(q.position, 8u);
  EXPECT_EQ(q.message, "%DB10.DBQ4: at position 9 expected X, B, W or D after '%DB10.DB'");
  const AddressError area = failure("%X1");
  EXPECT_EQ(area.position, 1u);
  EXPECT_EQ(area.message, "%X1: at position 2 expected an area: DB, I (E), Q (A), M, T or C (Z) after '%'");
  EXPECT_EQ(failure("%").position, 1u);
  EXPECT_EQ(failure("%").message, "%: at position 2 expected an area: DB, I (E), Q (A), M, T or C (Z) after '%'");
  EXPECT_EQ(failure("%%MW0").position, 1u);  // one '%' only
  EXPECT_EQ(failure("%M0.8").position, 4u);
  EXPECT_EQ(failure("M%W0").position, 1u);  // only in front
  // A type error still points at the type, after "%MW0 ".
  EXPECT_EQ(failure("%MW0", "REAL").position, 5u);
}

TEST(S7Address, TiaPortalTypes) {
  struct Case {
    std::string_view address, type;
    DataType expected;
    std::size_t size;
  };
  const Case cases[] = {
      {"DB1.DBB0", "SINT", DataType::SInt, 1},
      {"MB0", "USINT", DataType::USInt, 1},
      {"DB1.DBB0", "LINT", DataType::LInt, 8},
      {"DB1.DBB0", "ULINT", DataType::ULInt, 8},
      {"DB1.DBB0", "LWORD", DataType::LWord, 8},
      {"DB1.DBW0", "WCHAR", DataType::WChar, 2},
      {"DB1.DBB0", "WSTRING[20]", DataType::WString, 44},
      {"DB1.DBD0", "TOD", DataType::TimeOfDay, 4},
      {"DB1.DBD0", "time_of_day", DataType::TimeOfDay, 4},
      {"DB1.DBB0", "LTIME", DataType::LTime, 8},
      {"DB1.DBB0", "DTL", DataType::Dtl, 12},
  };
  for (const Case& c : cases) {
    const Address a = parsed(c.address, c.type);
    EXPECT_EQ(a.type, c.expected) << c.type;
    EXPECT_EQ(a.size(), c.size) << c.type;
  }
  const Address plain = parsed("DB1.DBB0", "WSTRING");
  EXPECT_EQ(plain.string_length, 254);
  EXPECT_EQ(plain.size(), 4u + 2 * 254);
  EXPECT_EQ(parsed("DB1.DBB0", "WSTRING[16382]").size(), 4u + 2 * 16382);
  EXPECT_EQ(failure("DB1.DBB0", "WSTRING[16383]").message,
            "DB1.DBB0 WSTRING[16383]: at position 9 of the type expected a string length 1..16382");
  EXPECT_EQ(to_string(parsed("DB1.DBD0", "TIME_OF_DAY")), "DB1.DBD0 TOD");
  EXPECT_EQ(to_string(parsed("DB1.DBW2", "WCHAR")), "DB1.DBW2 WCHAR");
  EXPECT_EQ(to_string(parsed("DB1.DBB2", "WSTRING[8]")), "DB1.DBB2 WSTRING[8]");
  EXPECT_EQ(type_name(DataType::TimeOfDay), "TOD");
  EXPECT_EQ(type_name(DataType::Dtl), "DTL");
  // 64-bit types and DTL start at a byte address, as LREAL does.
  EXPECT_NE(failure("DB1.DBD0", "LINT").message.find("write DB1.DBB0 for a LINT"), std::string::npos);
  EXPECT_NE(failure("DB1.DBW0", "DTL").message.find("write DB1.DBB0 for a DTL"), std::string::npos);
  EXPECT_NE(failure("DB1.DBB0", "TOD").message.find("write DB1.DBD0 for a TOD"), std::string::npos);
  EXPECT_NE(failure("DB1.DBB0", "WCHAR").message.find("write DB1.DBW0 for a WCHAR"), std::string::npos);
}

TEST(S7Address, ArraysAreOneTag) {
  const Address reals = parsed("%DB10.DBD4", "REAL[10]");
  EXPECT_EQ(reals.type, DataType::Real);
  EXPECT_EQ(reals.array_length, 10u);
  EXPECT_EQ(reals.element_size(), 4u);
  EXPECT_EQ(reals.size(), 40u);
  EXPECT_EQ(to_string(reals), "DB10.DBD4 REAL[10]");
  EXPECT_EQ(reals.element(3).offset, 16u);
  EXPECT_FALSE(reals.element(3).is_array());
  EXPECT_EQ(parsed("DB10.DBB4", "REAL[10]").size(), 40u);  // an array may start at its first byte
  EXPECT_EQ(parsed("DB10.DBB0", "DTL[3]").size(), 36u);
  EXPECT_EQ(parsed("MW0", "int[1]").array_length, 1u);

  // BOOL arrays: consecutive bits from the address's bit on, as in a DB with standard access.
  const Address bits = parsed("DB10.DBX4.3", "BOOL[12]");
  EXPECT_EQ(bits.size(), 2u);  // bits 4.3 .. 5.6
  EXPECT_EQ(bits.element(4).offset, 4u);
  EXPECT_EQ(bits.element(4).bit, 7);
  EXPECT_EQ(bits.element(5).offset, 5u);
  EXPECT_EQ(bits.element(5).bit, 0);
  EXPECT_EQ(parsed("M0.0", "BOOL[16]").size(), 2u);
  EXPECT_EQ(parsed("M0.0", "BOOL[17]").size(), 3u);
  EXPECT_EQ(to_string(bits), "DB10.DBX4.3 BOOL[12]");

  EXPECT_EQ(failure("DB1.DBD0", "REAL[0]").message,
            "DB1.DBD0 REAL[0]: at position 6 of the type expected an array length 1..65535");
  EXPECT_EQ(failure("DB1.DBD0", "REAL[65536]").position, 9u + 5);
  EXPECT_EQ(failure("DB1.DBD0", "REAL[3").position, 9u + 6);
  EXPECT_NE(failure("DB1.DBB0", "STRING[20][3]").message.find("arrays of STRING are not supported"), std::string::npos);
  EXPECT_NE(failure("DB1.DBB0", "BOOL[8]").message.find("a byte address (B)"), std::string::npos);
  EXPECT_NE(failure("T0", "S5TIME[2]").message.find("timers and counters are read one per tag"), std::string::npos);
  const AddressError past = failure("DB1.DBB65000", "LREAL[100]");
  EXPECT_EQ(past.position, 13u);
  EXPECT_NE(past.message.find("run past byte 65535"), std::string::npos) << past.message;
  EXPECT_EQ(parsed("DB1.DBB65528", "LREAL[1]").size(), 8u);

  // The tag's `count` setting: the same array.
  auto counted = make_array(parsed("DB10.DBD4", "REAL"), 10);
  ASSERT_TRUE(counted.has_value());
  EXPECT_EQ(to_string(*counted), "DB10.DBD4 REAL[10]");
  EXPECT_FALSE(make_array(reals, 10).has_value());
  EXPECT_FALSE(make_array(parsed("DB1.DBB0", "WSTRING[4]"), 2).has_value());
  EXPECT_FALSE(make_array(parsed("DB1.DBD0", "REAL"), 0).has_value());
  EXPECT_FALSE(make_array(parsed("DB1.DBD0", "REAL"), 70000).has_value());
}

}  // namespace
}  // namespace logbot::agent::s7
