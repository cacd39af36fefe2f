// Modbus register codec and read plans. Register values are computed by hand from the IEEE 754
// and two's complement encodings (bytes A B C D ..., A most significant), then placed as each
// byte order says.
#include "agent/modbus/modbus_codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace logbot::agent::modbus {
namespace {

using collect::Value;
using Registers = std::vector<std::uint16_t>;

Address register_tag(DataType type, ByteOrder order, std::uint16_t offset = 0, Table table = Table::holding_registers) {
  Address address;
  address.table = table;
  address.offset = offset;
  address.type = type;
  address.order = order;
  return address;
}

struct Case {
  DataType type;
  ByteOrder order;
  Registers registers;
  Value value;
};

// Every type in every order it accepts, with bytes that differ from each other so that a
// swapped pair shows.
const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      // INT16 -300 = 0xFED4; UINT16 4660 = 0x1234.
      {DataType::Int16, ByteOrder::ABCD, {0xFED4}, Value{std::int64_t{-300}}},
      {DataType::Int16, ByteOrder::BADC, {0xD4FE}, Value{std::int64_t{-300}}},
      {DataType::Int16, ByteOrder::ABCD, {0xFFFE}, Value{std::int64_t{-2}}},
      {DataType::UInt16, ByteOrder::ABCD, {0x1234}, Value{std::uint64_t{4660}}},
      {DataType::UInt16, ByteOrder::BADC, {0x3412}, Value{std::uint64_t{4660}}},
      {DataType::UInt16, ByteOrder::ABCD, {0xFFFF}, Value{std::uint64_t{65535}}},
      // INT32 -123456 = 0xFFFE1DC0.
      {DataType::Int32, ByteOrder::ABCD, {0xFFFE, 0x1DC0}, Value{std::int64_t{-123456}}},
      {DataType::Int32, ByteOrder::CDAB, {0x1DC0, 0xFFFE}, Value{std::int64_t{-123456}}},
      {DataType::Int32, ByteOrder::BADC, {0xFEFF, 0xC01D}, Value{std::int64_t{-123456}}},
      {DataType::Int32, ByteOrder::DCBA, {0xC01D, 0xFEFF}, Value{std::int64_t{-123456}}},
      // INT32 16909060 = 0x01020304.
      {DataType::Int32, ByteOrder::ABCD, {0x0102, 0x0304}, Value{std::int64_t{16909060}}},
      {DataType::Int32, ByteOrder::CDAB, {0x0304, 0x0102}, Value{std::int64_t{16909060}}},
      {DataType::Int32, ByteOrder::BADC, {0x0201, 0x0403}, Value{std::int64_t{16909060}}},
      {DataType::Int32, ByteOrder::DCBA, {0x0403, 0x0201}, Value{std::int64_t{16909060}}},
      // UINT32 4000000000 = 0xEE6B2800.
      {DataType::UInt32, ByteOrder::ABCD, {0xEE6B, 0x2800}, Value{std::uint64_t{4000000000}}},
      {DataType::UInt32, ByteOrder::CDAB, {0x2800, 0xEE6B}, Value{std::uint64_t{4000000000}}},
      {DataType::UInt32, ByteOrder::BADC, {0x6BEE, 0x0028}, Value{std::uint64_t{4000000000}}},
      {DataType::UInt32, ByteOrder::DCBA, {0x0028, 0x6BEE}, Value{std::uint64_t{4000000000}}},
      // FLOAT32 21.5 = 0x41AC0000.
      {DataType::Float32, ByteOrder::ABCD, {0x41AC, 0x0000}, Value{21.5}},
      {DataType::Float32, ByteOrder::CDAB, {0x0000, 0x41AC}, Value{21.5}},
      {DataType::Float32, ByteOrder::BADC, {0xAC41, 0x0000}, Value{21.5}},
      {DataType::Float32, ByteOrder::DCBA, {0x0000, 0xAC41}, Value{21.5}},
      // FLOAT32 nearest to pi = 0x40490FDB (exactly 3.1415927410125732...), read as its
      // shortest text 3.1415927 (collect::widen_real).
      {DataType::Float32, ByteOrder::ABCD, {0x4049, 0x0FDB}, Value{3.1415927}},
      {DataType::Float32, ByteOrder::CDAB, {0x0FDB, 0x4049}, Value{3.1415927}},
      {DataType::Float32, ByteOrder::BADC, {0x4940, 0xDB0F}, Value{3.1415927}},
      {DataType::Float32, ByteOrder::DCBA, {0xDB0F, 0x4940}, Value{3.1415927}},
      // FLOAT64 pi = 0x400921FB54442D18: bytes A..H = 40 09 21 FB 54 44 2D 18.
      {DataType::Float64, ByteOrder::ABCD, {0x4009, 0x21FB, 0x5444, 0x2D18}, Value{3.141592653589793}},
      {DataType::Float64, ByteOrder::CDAB, {0x2D18, 0x5444, 0x21FB, 0x4009}, Value{3.141592653589793}},
      {DataType::Float64, ByteOrder::BADC, {0x0940, 0xFB21, 0x4454, 0x182D}, Value{3.141592653589793}},
      {DataType::Float64, ByteOrder::DCBA, {0x182D, 0x4454, 0xFB21, 0x0940}, Value{3.141592653589793}},
      // FLOAT64 -1234.5678 = 0xC0934A456D5CFAAD.
      {DataType::Float64, ByteOrder::ABCD, {0xC093, 0x4A45, 0x6D5C, 0xFAAD}, Value{-1234.5678}},
      {DataType::Float64, ByteOrder::CDAB, {0xFAAD, 0x6D5C, 0x4A45, 0xC093}, Value{-1234.5678}},
      {DataType::Float64, ByteOrder::BADC, {0x93C0, 0x454A, 0x5C6D, 0xADFA}, Value{-1234.5678}},
      {DataType::Float64, ByteOrder::DCBA, {0xADFA, 0x5C6D, 0x454A, 0x93C0}, Value{-1234.5678}},
  };
  return all;
}

std::string describe(const Case& c) {
  return std::string(type_name(c.type)) + " " + std::string(order_name(c.order));
}

TEST(ModbusCodec, DecodesEveryTypeInEveryOrder) {
  for (const Case& c : cases()) {
    const auto decoded = decode_registers(register_tag(c.type, c.order), c.registers);
    ASSERT_TRUE(decoded.has_value()) << describe(c) << ": " << decoded.error().message;
    EXPECT_EQ(*decoded, c.value) << describe(c);
  }
}

TEST(ModbusCodec, EncodesEveryTypeInEveryOrder) {
  for (const Case& c : cases()) {
    const auto encoded = encode_value(register_tag(c.type, c.order), c.value);
    ASSERT_TRUE(encoded.has_value()) << describe(c) << ": " << encoded.error().message;
    EXPECT_EQ(*encoded, c.registers) << describe(c);
  }
}

TEST(ModbusCodec, InputRegistersDecodeLikeHoldingRegisters) {
  const auto decoded = decode_registers(register_tag(DataType::Float32, ByteOrder::CDAB, 7, Table::input_registers),
                                        Registers{0x0000, 0x41AC});
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, Value{21.5});
}

TEST(ModbusCodec, RegisterBits) {
  Address bit = register_tag(DataType::Bool, ByteOrder::ABCD);
  const Registers value{0x8005};  // bits 0, 2 and 15
  for (int b = 0; b < 16; ++b) {
    bit.bit = static_cast<std::int8_t>(b);
    const auto decoded = decode_registers(bit, value);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, Value{b == 0 || b == 2 || b == 15}) << "bit " << b;
  }
  bit.bit = 3;
  EXPECT_EQ(*encode_value(bit, Value{true}), Registers{1});
  EXPECT_EQ(*encode_value(bit, Value{false}), Registers{0});
  EXPECT_EQ(*encode_value(bit, Value{std::int64_t{1}}), Registers{1});
  EXPECT_FALSE(encode_value(bit, Value{std::int64_t{2}}).has_value());
}

TEST(ModbusCodec, DecodeRejectsAWrongRegisterCount) {
  EXPECT_FALSE(decode_registers(register_tag(DataType::Float32, ByteOrder::ABCD), Registers{0x41AC}).has_value());
  EXPECT_FALSE(decode_registers(register_tag(DataType::UInt16, ByteOrder::ABCD), Registers{}).has_value());
  EXPECT_FALSE(decode_registers(register_tag(DataType::Float64, ByteOrder::ABCD), Registers(5)).has_value());
  Address coil = register_tag(DataType::Bool, ByteOrder::ABCD, 0, Table::coils);
  EXPECT_FALSE(decode_registers(coil, Registers{1}).has_value());
  Address bit_without_number = register_tag(DataType::Bool, ByteOrder::ABCD);
  EXPECT_FALSE(decode_registers(bit_without_number, Registers{1}).has_value());
}

TEST(ModbusCodec, EncodeChecksRanges) {
  const auto int16 = register_tag(DataType::Int16, ByteOrder::ABCD);
  EXPECT_EQ(*encode_value(int16, Value{std::int64_t{-32768}}), Registers{0x8000});
  EXPECT_EQ(*encode_value(int16, Value{std::int64_t{32767}}), Registers{0x7FFF});
  EXPECT_FALSE(encode_value(int16, Value{std::int64_t{32768}}).has_value());
  EXPECT_FALSE(encode_value(int16, Value{std::int64_t{-32769}}).has_value());

  const auto uint16 = register_tag(DataType::UInt16, ByteOrder::ABCD);
  EXPECT_FALSE(encode_value(uint16, Value{std::int64_t{-1}}).has_value());
  EXPECT_FALSE(encode_value(uint16, Value{std::uint64_t{65536}}).has_value());
  EXPECT_EQ(*encode_value(uint16, Value{7.0}), Registers{7});  // an integral double
  const auto fraction = encode_value(uint16, Value{7.5});
  ASSERT_FALSE(fraction.has_value());
  EXPECT_NE(fraction.error().message.find("whole number"), std::string::npos) << fraction.error().message;
  EXPECT_EQ(fraction.error().code, ErrorCode::wrong_kind);
  EXPECT_EQ(encode_value(uint16, Value{std::int64_t{-1}}).error().code, ErrorCode::out_of_range);
  EXPECT_EQ(encode_value(register_tag(DataType::Float32, ByteOrder::ABCD), Value{1e39}).error().code,
            ErrorCode::out_of_range);
  EXPECT_EQ(decode_registers(uint16, Registers{}).error().code, ErrorCode::wrong_shape);

  const auto uint32 = register_tag(DataType::UInt32, ByteOrder::ABCD);
  EXPECT_EQ(*encode_value(uint32, Value{std::uint64_t{4294967295}}), (Registers{0xFFFF, 0xFFFF}));
  EXPECT_FALSE(encode_value(uint32, Value{std::uint64_t{4294967296}}).has_value());
  EXPECT_FALSE(encode_value(uint32, Value{std::uint64_t{18446744073709551615ULL}}).has_value());
  const auto int32 = register_tag(DataType::Int32, ByteOrder::ABCD);
  EXPECT_EQ(*encode_value(int32, Value{std::int64_t{-2147483648LL}}), (Registers{0x8000, 0x0000}));
  EXPECT_FALSE(encode_value(int32, Value{std::int64_t{2147483648LL}}).has_value());

  const auto float32 = register_tag(DataType::Float32, ByteOrder::ABCD);
  EXPECT_FALSE(encode_value(float32, Value{1e39}).has_value());
  EXPECT_FALSE(encode_value(float32, Value{std::numeric_limits<double>::quiet_NaN()}).has_value());
  // The largest FLOAT32 a device sends reads as ±3.4028235e+38 (a little beyond FLT_MAX as a
  // double) and is written back as it was read; what rounds to infinity is refused.
  for (const Registers& largest : {Registers{0x7F7F, 0xFFFF}, Registers{0xFF7F, 0xFFFF}}) {
    const auto read = decode_registers(float32, largest);
    ASSERT_TRUE(read.has_value());
    EXPECT_EQ(*encode_value(float32, *read), largest);
  }
  EXPECT_EQ(*encode_value(float32, *parse_value_text(float32, "-3.4028235e38")), (Registers{0xFF7F, 0xFFFF}));
  EXPECT_FALSE(encode_value(float32, Value{0x1.ffffffp+127}).has_value());
  EXPECT_EQ(*encode_value(float32, Value{std::int64_t{-2}}), (Registers{0xC000, 0x0000}));
  const auto float64 = register_tag(DataType::Float64, ByteOrder::ABCD);
  EXPECT_FALSE(encode_value(float64, Value{std::numeric_limits<double>::infinity()}).has_value());
  EXPECT_EQ(*encode_value(float64, Value{1.0}), (Registers{0x3FF0, 0, 0, 0}));

  EXPECT_FALSE(encode_value(float64, Value{std::string("1.0")}).has_value());
  EXPECT_FALSE(encode_value(float64, Value{}).has_value());
}

TEST(ModbusCodec, ParsesValueText) {
  const auto bool_tag = register_tag(DataType::Bool, ByteOrder::ABCD, 0, Table::coils);
  EXPECT_EQ(*parse_value_text(bool_tag, "TRUE"), Value{true});
  EXPECT_EQ(*parse_value_text(bool_tag, "true"), Value{true});
  EXPECT_EQ(*parse_value_text(bool_tag, "1"), Value{true});
  EXPECT_EQ(*parse_value_text(bool_tag, "False"), Value{false});
  EXPECT_EQ(*parse_value_text(bool_tag, " 0 "), Value{false});
  EXPECT_FALSE(parse_value_text(bool_tag, "2").has_value());
  EXPECT_FALSE(parse_value_text(bool_tag, "yes").has_value());

  const auto int16 = register_tag(DataType::Int16, ByteOrder::ABCD);
  EXPECT_EQ(*parse_value_text(int16, "-32768"), Value{std::int64_t{-32768}});
  EXPECT_EQ(*parse_value_text(int16, "+12"), Value{std::int64_t{12}});
  const auto too_big = parse_value_text(int16, "32768");
  ASSERT_FALSE(too_big.has_value());
  EXPECT_NE(too_big.error().message.find("-32768..32767"), std::string::npos) << too_big.error().message;
  EXPECT_FALSE(parse_value_text(int16, "1.5").has_value());
  EXPECT_FALSE(parse_value_text(int16, "12abc").has_value());
  EXPECT_FALSE(parse_value_text(int16, "").has_value());
  EXPECT_FALSE(parse_value_text(int16, "99999999999999999999999").has_value());

  const auto uint16 = register_tag(DataType::UInt16, ByteOrder::ABCD);
  EXPECT_EQ(*parse_value_text(uint16, "65535"), Value{std::uint64_t{65535}});
  EXPECT_FALSE(parse_value_text(uint16, "-1").has_value());
  EXPECT_FALSE(parse_value_text(uint16, "65536").has_value());

  const auto int32 = register_tag(DataType::Int32, ByteOrder::CDAB);
  EXPECT_EQ(*parse_value_text(int32, "-123456"), Value{std::int64_t{-123456}});
  EXPECT_FALSE(parse_value_text(int32, "2147483648").has_value());
  const auto uint32 = register_tag(DataType::UInt32, ByteOrder::ABCD);
  EXPECT_EQ(*parse_value_text(uint32, "4000000000"), Value{std::uint64_t{4000000000}});
  EXPECT_FALSE(parse_value_text(uint32, "4294967296").has_value());

  const auto float32 = register_tag(DataType::Float32, ByteOrder::ABCD);
  EXPECT_EQ(*parse_value_text(float32, "21.5"), Value{21.5});
  EXPECT_EQ(*parse_value_text(float32, "-1e-3"), Value{-0.001});
  EXPECT_EQ(*parse_value_text(float32, "7"), Value{7.0});
  EXPECT_FALSE(parse_value_text(float32, "1e39").has_value());
  EXPECT_FALSE(parse_value_text(float32, "nan").has_value());
  EXPECT_FALSE(parse_value_text(float32, "21,5").has_value());
  const auto float64 = register_tag(DataType::Float64, ByteOrder::ABCD);
  EXPECT_EQ(*parse_value_text(float64, "3.141592653589793"), Value{3.141592653589793});
  EXPECT_EQ(*parse_value_text(float64, "1e300"), Value{1e300});
  EXPECT_FALSE(parse_value_text(float64, "1e400").has_value());
  EXPECT_FALSE(parse_value_text(float64, "inf").has_value());
}

TEST(ModbusCodec, IntegersTakeIecLiterals) {
  // The same literals as S7 (collect/iec_literal.hpp): based, with digit groups, still range-checked.
  const auto uint16 = register_tag(DataType::UInt16, ByteOrder::ABCD);
  const auto hex = parse_value_text(uint16, "16#FF");
  ASSERT_TRUE(hex.has_value()) << hex.error().message;
  EXPECT_EQ(*hex, Value{std::uint64_t{255}});
  EXPECT_EQ(*encode_value(uint16, *hex), (Registers{0x00FF}));
  EXPECT_EQ(*parse_value_text(uint16, " 2#1010_0101 "), Value{std::uint64_t{0xA5}});
  EXPECT_EQ(*parse_value_text(uint16, "8#17"), Value{std::uint64_t{15}});
  EXPECT_EQ(*parse_value_text(uint16, "16#FFFF"), Value{std::uint64_t{0xFFFF}});
  EXPECT_EQ(parse_value_text(uint16, "16#1_0000").error().message, "\"16#1_0000\" does not fit UINT16 (0..65535)");
  EXPECT_EQ(parse_value_text(uint16, "16#1_0000").error().code, collect::ErrorCode::out_of_range);
  EXPECT_EQ(parse_value_text(uint16, "16#G").error().code, collect::ErrorCode::not_a_number);

  const auto int16 = register_tag(DataType::Int16, ByteOrder::ABCD);
  EXPECT_EQ(*parse_value_text(int16, "-16#8000"), Value{std::int64_t{-32768}});
  EXPECT_FALSE(parse_value_text(int16, "16#FFFF").has_value());  // 65535, not the bit pattern of -1
  EXPECT_FALSE(parse_value_text(int16, "--1").has_value());
  EXPECT_FALSE(parse_value_text(int16, "+-1").has_value());

  const auto uint32 = register_tag(DataType::UInt32, ByteOrder::CDAB);
  const auto word = parse_value_text(uint32, "16#DEAD_BEEF");
  ASSERT_TRUE(word.has_value()) << word.error().message;
  EXPECT_EQ(*encode_value(uint32, *word), (Registers{0xBEEF, 0xDEAD}));

  // The messages the commissioning CLI prints stay as they were.
  EXPECT_EQ(parse_value_text(int16, "").error().message, "the value is empty: give a INT16");
  EXPECT_EQ(parse_value_text(int16, "").error().code, collect::ErrorCode::empty);
  EXPECT_EQ(parse_value_text(int16, "40000").error().message, "\"40000\" does not fit INT16 (-32768..32767)");
  EXPECT_EQ(parse_value_text(int16, "12abc").error().message,
            "\"12abc\" is not a whole number; a INT16 takes an integer -32768..32767 (decimal, or 16#, 8#, 2#)");
  const auto bool_tag = register_tag(DataType::Bool, ByteOrder::ABCD, 0, Table::coils);
  EXPECT_EQ(parse_value_text(bool_tag, "yes").error().message, "\"yes\" is not a BOOL: write TRUE, FALSE, 1 or 0");
  const auto float32 = register_tag(DataType::Float32, ByteOrder::ABCD);
  EXPECT_EQ(parse_value_text(float32, "inf").error().message, "\"inf\": a FLOAT32 written to a device must be finite");
  EXPECT_EQ(parse_value_text(float32, "inf").error().code, collect::ErrorCode::not_finite);
  EXPECT_EQ(parse_value_text(float32, "1e39").error().message, "\"1e39\" is beyond the FLOAT32 range (±3.4e38)");
  EXPECT_EQ(parse_value_text(float32, "1e400").error().message, "\"1e400\" is beyond the range of a FLOAT32");
  EXPECT_EQ(parse_value_text(float32, "21,5").error().message,
            "\"21,5\" is not a number; a FLOAT32 takes a decimal number such as 21.5 or 1e-3");
}

TEST(ModbusCodec, NamesExceptions) {
  EXPECT_EQ(describe_exception(1), "Modbus exception 1 (illegal function)");
  EXPECT_EQ(describe_exception(2), "Modbus exception 2 (illegal data address)");
  EXPECT_EQ(describe_exception(3), "Modbus exception 3 (illegal data value)");
  EXPECT_EQ(describe_exception(4), "Modbus exception 4 (slave device failure)");
  EXPECT_EQ(describe_exception(6), "Modbus exception 6 (slave device busy)");
  EXPECT_EQ(describe_exception(11), "Modbus exception 11 (gateway target device failed to respond)");
  EXPECT_EQ(describe_exception(99), "Modbus exception 99 (unknown exception code)");
}

// ---- read plans ----

Address uint16_at(std::uint16_t offset, Table table = Table::holding_registers) {
  Address address;
  address.table = table;
  address.offset = offset;
  address.type = is_bit_table(table) ? DataType::Bool : DataType::UInt16;
  return address;
}

Address typed_at(std::uint16_t offset, DataType type) {
  Address address = uint16_at(offset);
  address.type = type;
  return address;
}

TEST(ModbusPlan, AdjacentRegistersShareARequestUpTo125) {
  std::vector<Address> tags;
  for (std::uint16_t i = 0; i < 130; ++i) tags.push_back(uint16_at(i));
  const ReadPlan plan = plan_reads(tags, PlanLimits{});
  ASSERT_EQ(plan.requests.size(), 2U);
  EXPECT_EQ(plan.requests[0].start, 0);
  EXPECT_EQ(plan.requests[0].count, 125);
  EXPECT_EQ(plan.requests[1].start, 125);
  EXPECT_EQ(plan.requests[1].count, 5);
  EXPECT_EQ(plan.placements[124].request, 0U);
  EXPECT_EQ(plan.placements[124].offset, 124U);
  EXPECT_EQ(plan.placements[125].request, 1U);
  EXPECT_EQ(plan.placements[125].offset, 0U);
  EXPECT_EQ(plan.bytes, 260U);

  // More than 125 is never asked for, even when configured.
  const ReadPlan clamped = plan_reads(tags, PlanLimits{500, kMaxReadBits, 0});
  EXPECT_EQ(clamped.requests[0].count, 125);
}

TEST(ModbusPlan, ATagIsNeverSplitAcrossRequests) {
  // FLOAT32s at 0, 2, 4, ... with 5 registers per request: 2 tags (4 registers) per request.
  std::vector<Address> tags;
  for (std::uint16_t i = 0; i < 6; ++i) tags.push_back(typed_at(static_cast<std::uint16_t>(2 * i), DataType::Float32));
  const ReadPlan plan = plan_reads(tags, PlanLimits{5, kMaxReadBits, 0});
  ASSERT_EQ(plan.requests.size(), 3U);
  for (const ReadRequest& request : plan.requests) EXPECT_EQ(request.count, 4);
  EXPECT_EQ(plan.requests[2].start, 8);
}

TEST(ModbusPlan, GapsUpToMaxGapAreReadAcross) {
  const std::vector<Address> tags{uint16_at(0), uint16_at(5)};  // 4 registers (1..4) between them
  const ReadPlan merged = plan_reads(tags, PlanLimits{125, kMaxReadBits, 4});
  ASSERT_EQ(merged.requests.size(), 1U);
  EXPECT_EQ(merged.requests[0].count, 6);
  EXPECT_EQ(merged.placements[1].offset, 5U);
  EXPECT_EQ(merged.bytes, 12U);

  const ReadPlan separate = plan_reads(tags, PlanLimits{125, kMaxReadBits, 3});
  ASSERT_EQ(separate.requests.size(), 2U);
  EXPECT_EQ(separate.requests[1].start, 5);
  EXPECT_EQ(separate.bytes, 4U);

  // Default: only adjacent tags merge.
  EXPECT_EQ(plan_reads(std::vector<Address>{uint16_at(0), uint16_at(2)}, PlanLimits{}).requests.size(), 2U);
  EXPECT_EQ(plan_reads(std::vector<Address>{uint16_at(0), uint16_at(1)}, PlanLimits{}).requests.size(), 1U);
}

TEST(ModbusPlan, CoilsAndDiscreteInputsUpTo2000Bits) {
  std::vector<Address> tags;
  for (std::uint16_t i = 0; i <= 2000; ++i) tags.push_back(uint16_at(i, Table::coils));
  tags.push_back(uint16_at(0, Table::discrete_inputs));
  tags.push_back(uint16_at(1999, Table::discrete_inputs));
  const ReadPlan plan = plan_reads(tags, PlanLimits{125, kMaxReadBits, 2000});
  ASSERT_EQ(plan.requests.size(), 3U);
  EXPECT_EQ(plan.requests[0].table, Table::coils);
  EXPECT_EQ(plan.requests[0].count, 2000);
  EXPECT_EQ(plan.requests[1].table, Table::coils);
  EXPECT_EQ(plan.requests[1].start, 2000);
  EXPECT_EQ(plan.requests[1].count, 1);
  EXPECT_EQ(plan.requests[2].table, Table::discrete_inputs);
  EXPECT_EQ(plan.requests[2].count, 2000);  // the gap is read across: max_gap counts bits here
  EXPECT_EQ(plan.bytes, 250U + 1U + 250U);
}

TEST(ModbusPlan, TablesNeverShareARequest) {
  const std::vector<Address> tags{uint16_at(0, Table::input_registers), uint16_at(1, Table::holding_registers),
                                  uint16_at(0, Table::holding_registers), uint16_at(0, Table::coils),
                                  uint16_at(0, Table::discrete_inputs)};
  const ReadPlan plan = plan_reads(tags, PlanLimits{125, kMaxReadBits, 100});
  ASSERT_EQ(plan.requests.size(), 4U);
  EXPECT_EQ(plan.requests[0].table, Table::coils);
  EXPECT_EQ(plan.requests[1].table, Table::discrete_inputs);
  EXPECT_EQ(plan.requests[2].table, Table::holding_registers);
  EXPECT_EQ(plan.requests[2].count, 2);
  EXPECT_EQ(plan.requests[2].tags, (std::vector<std::size_t>{2, 1}));
  EXPECT_EQ(plan.requests[3].table, Table::input_registers);
  EXPECT_EQ(plan.placements[0].request, 3U);
  EXPECT_EQ(plan.placements[1].offset, 1U);
}

TEST(ModbusPlan, OverlappingTagsAndRegisterBitsShareRegisters) {
  Address bit = uint16_at(1);
  bit.type = DataType::Bool;
  bit.bit = 3;
  const std::vector<Address> tags{typed_at(0, DataType::Float32), uint16_at(1), bit, uint16_at(0)};
  const ReadPlan plan = plan_reads(tags, PlanLimits{});
  ASSERT_EQ(plan.requests.size(), 1U);
  EXPECT_EQ(plan.requests[0].count, 2);
  EXPECT_EQ(plan.placements[1].offset, 1U);
  EXPECT_EQ(plan.placements[2].offset, 1U);
  EXPECT_EQ(plan.placements[3].offset, 0U);
}

TEST(ModbusPlan, ATagWiderThanTheLimitGetsItsOwnRequest) {
  const std::vector<Address> tags{typed_at(0, DataType::Float64), uint16_at(1), uint16_at(4)};
  const ReadPlan plan = plan_reads(tags, PlanLimits{2, kMaxReadBits, 0});
  ASSERT_EQ(plan.requests.size(), 2U);
  EXPECT_EQ(plan.requests[0].count, 4);  // the FLOAT64 in one piece; hr:1 lies inside it
  EXPECT_EQ(plan.placements[1].request, 0U);
  EXPECT_EQ(plan.requests[1].start, 4);
}

TEST(ModbusPlan, DeterministicWhateverTheTagOrder) {
  std::vector<Address> tags;
  for (std::uint16_t i = 0; i < 40; ++i) tags.push_back(uint16_at(static_cast<std::uint16_t>(i * 3)));
  tags.push_back(typed_at(7, DataType::Float64));
  const ReadPlan first = plan_reads(tags, PlanLimits{20, kMaxReadBits, 2});
  std::mt19937 shuffle_seed(42);
  std::shuffle(tags.begin(), tags.end(), shuffle_seed);
  const ReadPlan second = plan_reads(tags, PlanLimits{20, kMaxReadBits, 2});
  ASSERT_EQ(first.requests.size(), second.requests.size());
  for (std::size_t r = 0; r < first.requests.size(); ++r) {
    EXPECT_EQ(first.requests[r].start, second.requests[r].start);
    EXPECT_EQ(first.requests[r].count, second.requests[r].count);
  }
  EXPECT_EQ(plan_reads(tags, PlanLimits{20, kMaxReadBits, 2}).placements.size(), tags.size());
}

// Invariants over many random tag lists: every tag inside its request, no request over its
// limit, no unread stretch inside a request longer than max_gap, requests of one table disjoint.
TEST(ModbusPlan, RandomTagListsKeepTheInvariants) {
  std::mt19937 random(7);
  const DataType types[] = {DataType::UInt16, DataType::Int32, DataType::Float32, DataType::Float64};
  for (int round = 0; round < 200; ++round) {
    std::vector<Address> tags;
    const std::size_t n = 1 + random() % 60;
    for (std::size_t i = 0; i < n; ++i) {
      const auto table = static_cast<Table>(random() % 4);
      Address tag = uint16_at(static_cast<std::uint16_t>(random() % 400), table);
      if (!is_bit_table(table)) tag.type = types[random() % 4];
      tags.push_back(tag);
    }
    const PlanLimits limits{1 + random() % 125, 1 + random() % 300, random() % 10};
    const ReadPlan plan = plan_reads(tags, limits);
    ASSERT_EQ(plan.placements.size(), tags.size());
    std::size_t placed = 0;
    for (std::size_t r = 0; r < plan.requests.size(); ++r) {
      const ReadRequest& request = plan.requests[r];
      const std::size_t limit = is_bit_table(request.table) ? limits.max_bits : limits.max_registers;
      std::vector<bool> covered(request.count, false);
      std::size_t widest = 0;
      for (const std::size_t t : request.tags) {
        ++placed;
        EXPECT_EQ(tags[t].table, request.table);
        EXPECT_EQ(plan.placements[t].request, r);
        EXPECT_EQ(plan.placements[t].offset, tags[t].offset - request.start);
        ASSERT_LE(plan.placements[t].offset + tags[t].count(), request.count);
        for (std::size_t k = 0; k < tags[t].count(); ++k) covered[plan.placements[t].offset + k] = true;
        widest = std::max(widest, tags[t].count());
      }
      EXPECT_LE(request.count, std::max(limit, widest));
      EXPECT_TRUE(covered.front());
      EXPECT_TRUE(covered.back());
      std::size_t run = 0;
      for (const bool c : covered) {
        run = c ? 0 : run + 1;
        EXPECT_LE(run, limits.max_gap);
      }
      if (r > 0 && plan.requests[r - 1].table == request.table) {
        EXPECT_LE(plan.requests[r - 1].start + plan.requests[r - 1].count, request.start + 0U + request.count);
        EXPECT_LT(plan.requests[r - 1].start, request.start);
      }
    }
    EXPECT_EQ(placed, tags.size());
  }
}

}  // namespace
}  // namespace logbot::agent::modbus
