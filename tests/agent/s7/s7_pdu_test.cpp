// The TPKT/COTP/S7comm codec against hand-built frames: the exact bytes of every request we
// send, and every inconsistency a PLC (or something pretending to be one) can send back.
#include "agent/s7/s7_pdu.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace logbot::agent::s7 {
namespace {

// Shows the whole message when the expected part is missing.
testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "\"" << text << "\" lacks \"" << part << "\"";
}

Bytes frame(std::initializer_list<int> bytes) {
  Bytes out;
  for (int byte : bytes) out.push_back(static_cast<std::uint8_t>(byte));
  return out;
}

PlannedItem db_item(std::uint16_t db, std::uint32_t start, std::uint16_t count) {
  PlannedItem item;
  item.area = Area::data_block;
  item.db = db;
  item.start = start;
  item.count = count;
  item.transport = TransportSize::byte;
  return item;
}

PlannedItem flags_item(std::uint32_t start, std::uint16_t count) {
  PlannedItem item = db_item(0, start, count);
  item.area = Area::flags;
  return item;
}

PlannedItem timer_item(std::uint32_t number, std::uint16_t count) {
  PlannedItem item;
  item.area = Area::timers;
  item.start = number;
  item.count = count;
  item.transport = TransportSize::timer;
  return item;
}

Address address(Area area, std::uint16_t db, std::uint32_t offset, DataType type, std::uint8_t bit = 0) {
  Address result;
  result.area = area;
  result.db = db;
  result.offset = offset;
  result.type = type;
  result.bit = bit;
  return result;
}

// ---- TSAPs ----

TEST(S7Tsap, RemoteTsapCarriesConnectionTypeRackAndSlot) {
  EXPECT_EQ(remote_tsap(2, 0, 1), 0x0201);  // OP, S7-1200/1500 slot 1
  EXPECT_EQ(remote_tsap(1, 0, 2), 0x0102);  // PG, S7-300 slot 2
  EXPECT_EQ(remote_tsap(3, 1, 3), 0x0323);  // S7-basic, rack 1 (bits 7..5) slot 3
  EXPECT_EQ(remote_tsap(2, 7, 31), 0x02FF);
  EXPECT_EQ(kLocalTsap, 0x0100);
}

// ---- TPKT ----

TEST(S7Tpkt, AcceptsAVersion3HeaderWithinTheLimit) {
  auto length = parse_tpkt_header(frame({0x03, 0x00, 0x00, 0x1F}), tpkt_length_limit(240));
  ASSERT_TRUE(length) << length.error().message;
  EXPECT_EQ(*length, 31u);
  EXPECT_EQ(tpkt_length_limit(240), 247u);  // TPKT 4 + COTP data 3 + PDU
}

TEST(S7Tpkt, RefusesAnotherVersion) {
  auto length = parse_tpkt_header(frame({0x02, 0x00, 0x00, 0x1F}), 1000);
  ASSERT_FALSE(length);
  EXPECT_TRUE(contains(length.error().message, "TPKT version 2 (expected 3)"));
  EXPECT_EQ(length.error().code, ErrorCode::bad_response);
}

TEST(S7Tpkt, RefusesALengthBelowSeven) {
  auto length = parse_tpkt_header(frame({0x03, 0x00, 0x00, 0x06}), 1000);
  ASSERT_FALSE(length);
  EXPECT_TRUE(contains(length.error().message, "TPKT length of 6 bytes, below the minimum of 7"));
}

TEST(S7Tpkt, RefusesEveryLengthThatCannotHoldADataTpduHeader) {
  for (int length = 0; length < 7; ++length) {
    auto parsed = parse_tpkt_header(frame({0x03, 0x00, 0x00, length}), 1000);
    ASSERT_FALSE(parsed) << length;
    EXPECT_TRUE(contains(parsed.error().message, "TPKT length of " + std::to_string(length) + " bytes"))
        << parsed.error().message;
  }
}

TEST(S7Tpkt, RefusesALengthBeyondThePduSize) {
  auto length = parse_tpkt_header(frame({0x03, 0x00, 0xFF, 0xFF}), tpkt_length_limit(480));
  ASSERT_FALSE(length);
  EXPECT_TRUE(contains(length.error().message, "TPKT length of 65535 bytes, more than the 487"));
  // Exactly at the limit is fine.
  EXPECT_TRUE(parse_tpkt_header(frame({0x03, 0x00, 0x01, 0xE7}), tpkt_length_limit(480)));
}

TEST(S7Tpkt, RefusesAShortHeader) {
  EXPECT_FALSE(parse_tpkt_header(frame({0x03, 0x00, 0x00}), 1000));
}

// ---- COTP ----

TEST(S7Cotp, ConnectionRequestBytes) {
  const Bytes expected = frame({
      0x03, 0x00, 0x00, 0x16,  // TPKT: version 3, reserved, length 22
      0x11, 0xE0,              // COTP: header length 17, connection request (class 0)
      0x00, 0x00,              // destination reference
      0x00, 0x01,              // source reference
      0x00,                    // class 0, no options
      0xC0, 0x01, 0x0A,        // TPDU size 2^10 = 1024
      0xC1, 0x02, 0x01, 0x00,  // calling (local) TSAP 0x0100
      0xC2, 0x02, 0x02, 0x01,  // called (remote) TSAP 0x0201: OP, rack 0, slot 1
  });
  EXPECT_EQ(build_connection_request(Tsaps{0x0100, 0x0201}), expected);
}

TEST(S7Cotp, AcceptsAConnectionConfirm) {
  const Bytes confirm = frame({
      0x11, 0xD0,              // header length 17, connection confirm
      0x00, 0x01,              // destination reference (ours)
      0x44, 0x31,              // source reference (the PLC's)
      0x00,                    // class 0
      0xC0, 0x01, 0x0A,        // TPDU size 1024
      0xC1, 0x02, 0x01, 0x00,  // calling TSAP
      0xC2, 0x02, 0x02, 0x01,  // called TSAP
  });
  auto confirmed = parse_connection_confirm(confirm);
  EXPECT_TRUE(confirmed) << confirmed.error().message;
  // Without parameters too.
  EXPECT_TRUE(parse_connection_confirm(frame({0x06, 0xD0, 0x00, 0x01, 0x44, 0x31, 0x00})));
}

TEST(S7Cotp, DisconnectRequestInsteadOfConfirmNamesTheReason) {
  const Bytes disconnect = frame({
      0x06, 0x80,  // header length 6, disconnect request
      0x00, 0x01,  // destination reference
      0x00, 0x00,  // source reference
      0x88,        // reason: connection request refused
  });
  auto confirmed = parse_connection_confirm(disconnect);
  ASSERT_FALSE(confirmed);
  EXPECT_TRUE(contains(confirmed.error().message, "COTP disconnect request, reason 0x88: connection request refused"));
  EXPECT_EQ(confirmed.error().code, ErrorCode::refused_by_plc);
  EXPECT_TRUE(contains(confirmed.error().message, "check the rack and slot"));
}

TEST(S7Cotp, RefusesOtherTpdusAndBrokenHeaders) {
  auto data = parse_connection_confirm(frame({0x02, 0xF0, 0x80}));
  ASSERT_FALSE(data);
  EXPECT_TRUE(contains(data.error().message, "data TPDU instead of a connection confirm"));
  // Header length 17 in a 7-byte TPDU.
  auto overrun = parse_connection_confirm(frame({0x11, 0xD0, 0x00, 0x01, 0x00, 0x01, 0x00}));
  ASSERT_FALSE(overrun);
  EXPECT_TRUE(contains(overrun.error().message, "COTP header length of 17 bytes in a TPDU of 7 bytes"));
  // A parameter whose length runs past the header.
  auto parameter = parse_connection_confirm(frame({0x09, 0xD0, 0x00, 0x01, 0x00, 0x01, 0x00, 0xC0, 0x05, 0x0A}));
  ASSERT_FALSE(parameter);
  EXPECT_TRUE(contains(parameter.error().message, "parameters overrun its header"));
  // Shorter than the fixed part.
  EXPECT_FALSE(parse_connection_confirm(frame({0x03, 0xD0, 0x00, 0x01})));
  EXPECT_FALSE(parse_connection_confirm(frame({0x00})));
}

TEST(S7Cotp, WrapsAPduInOneDataTpdu) {
  const Bytes pdu = frame({0x32, 0x01});
  const Bytes expected = frame({
      0x03, 0x00, 0x00, 0x09,  // TPKT, length 9
      0x02, 0xF0, 0x80,        // COTP data, EOT
      0x32, 0x01,              // the PDU
  });
  EXPECT_EQ(wrap_in_data_tpdu(pdu), expected);
}

TEST(S7Cotp, AssemblesAPduSplitOverThreeDataTpdus) {
  PduAssembler assembler(240);
  auto first = assembler.add(frame({0x02, 0xF0, 0x00, 0x32, 0x03}));  // no EOT
  ASSERT_TRUE(first);
  EXPECT_FALSE(*first);
  auto second = assembler.add(frame({0x02, 0xF0, 0x00, 0x00}));
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);
  auto last = assembler.add(frame({0x02, 0xF0, 0x80, 0x00, 0x07}));  // EOT
  ASSERT_TRUE(last);
  EXPECT_TRUE(*last);
  EXPECT_EQ(Bytes(assembler.pdu().begin(), assembler.pdu().end()), frame({0x32, 0x03, 0x00, 0x00, 0x07}));
  // The next PDU starts afresh.
  auto next = assembler.add(frame({0x02, 0xF0, 0x80, 0x32}));
  ASSERT_TRUE(next);
  EXPECT_TRUE(*next);
  EXPECT_EQ(assembler.pdu().size(), 1u);
}

TEST(S7Cotp, RefusesAPduLongerThanTheLimit) {
  PduAssembler assembler(4);
  ASSERT_TRUE(assembler.add(frame({0x02, 0xF0, 0x00, 1, 2, 3})));
  auto overflow = assembler.add(frame({0x02, 0xF0, 0x80, 4, 5}));
  ASSERT_FALSE(overflow);
  EXPECT_TRUE(contains(overflow.error().message, "longer than the negotiated PDU size of 4 bytes"));
}

TEST(S7Cotp, RefusesDisconnectEmptyFragmentsAndOtherTpdusInData) {
  PduAssembler assembler(240);
  auto disconnect = assembler.add(frame({0x06, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00}));
  ASSERT_FALSE(disconnect);
  EXPECT_TRUE(contains(disconnect.error().message, "the PLC disconnected"));
  auto empty = assembler.add(frame({0x02, 0xF0, 0x00}));
  ASSERT_FALSE(empty);
  EXPECT_TRUE(contains(empty.error().message, "empty COTP data TPDU"));
  auto confirm = assembler.add(frame({0x06, 0xD0, 0x00, 0x01, 0x00, 0x01, 0x00}));
  ASSERT_FALSE(confirm);
  EXPECT_TRUE(contains(confirm.error().message, "connection confirm TPDU where S7 data was expected"));
  auto long_header = assembler.add(frame({0x03, 0xF0, 0x80, 0x00}));
  ASSERT_FALSE(long_header);
  EXPECT_TRUE(contains(long_header.error().message, "COTP data header of 3 bytes instead of 2"));
}

// ---- S7 header ----

TEST(S7Header, ParsesAnAckDataHeader) {
  const Bytes pdu = frame({
      0x32, 0x03,  // S7comm, ack_data
      0x00, 0x00,  // reserved
      0x12, 0x34,  // PDU reference
      0x00, 0x02,  // parameter length
      0x00, 0x01,  // data length
      0x00, 0x00,  // error class, code
      0x04, 0x01,  // parameters
      0xFF,        // data
  });
  auto message = parse_s7_message(pdu);
  ASSERT_TRUE(message) << message.error().message;
  EXPECT_EQ(message->rosctr, Rosctr::ack_data);
  EXPECT_EQ(message->pdu_reference, 0x1234);
  EXPECT_EQ(message->parameters.size(), 2u);
  EXPECT_EQ(message->data.size(), 1u);
}

TEST(S7Header, RefusesAWrongProtocolId) {
  auto message = parse_s7_message(frame({0x72, 0x01, 0x00, 0x1F, 0, 0, 0, 0, 0, 0}));  // S7comm-plus
  ASSERT_FALSE(message);
  EXPECT_TRUE(contains(message.error().message, "protocol id 0x72 instead of 0x32 (S7comm)"));
}

TEST(S7Header, RefusesLengthsThatDoNotAddUp) {
  // Announces 2 parameter and 4 data bytes, holds 2 + 1.
  auto short_pdu = parse_s7_message(frame({0x32, 0x03, 0, 0, 0, 1, 0x00, 0x02, 0x00, 0x04, 0, 0, 0x04, 0x01, 0xFF}));
  ASSERT_FALSE(short_pdu);
  EXPECT_TRUE(contains(short_pdu.error().message, "S7 PDU of 15 bytes whose header announces 18"));
  // Extra bytes after the data.
  EXPECT_FALSE(parse_s7_message(frame({0x32, 0x01, 0, 0, 0, 1, 0, 0, 0, 0, 0x99})));
  // Shorter than the 12-byte ack_data header.
  EXPECT_FALSE(parse_s7_message(frame({0x32, 0x03, 0, 0, 0, 1, 0, 0, 0, 0, 0})));
  EXPECT_FALSE(parse_s7_message(frame({0x32, 0x01, 0, 0})));
  EXPECT_FALSE(parse_s7_message(frame({})));
}

TEST(S7Header, RefusesAnUnknownPduType) {
  auto message = parse_s7_message(frame({0x32, 0x05, 0, 0, 0, 1, 0, 0, 0, 0}));
  ASSERT_FALSE(message);
  EXPECT_TRUE(contains(message.error().message, "unknown type 0x05"));
}

// ---- Setup Communication ----

TEST(S7Setup, RequestBytes) {
  const CommunicationSetup requested{8, 8, 960};
  const Bytes expected = frame({
      0x32, 0x01,  // S7comm, job
      0x00, 0x00,  // reserved
      0x00, 0x01,  // PDU reference
      0x00, 0x08,  // parameter length
      0x00, 0x00,  // data length
      0xF0, 0x00,  // Setup Communication, reserved
      0x00, 0x08,  // max AmQ calling
      0x00, 0x08,  // max AmQ called
      0x03, 0xC0,  // PDU size 960
  });
  EXPECT_EQ(build_setup_communication(0x0001, requested), expected);
}

Bytes setup_response(int reference, int pdu_size, int error_class = 0, int error_code = 0) {
  return frame({
      0x32,           0x03,              // S7comm, ack_data
      0x00,           0x00,              // reserved
      reference >> 8, reference & 0xFF,  // PDU reference
      0x00,           0x08,              // parameter length
      0x00,           0x00,              // data length
      error_class,    error_code,        // error
      0xF0,           0x00,              // Setup Communication
      0x00,           0x03,              // max AmQ calling: 3
      0x00,           0x03,              // max AmQ called: 3
      pdu_size >> 8,  pdu_size & 0xFF,   // PDU size
  });
}

TEST(S7Setup, ParsesTheNegotiatedValues) {
  auto setup = parse_setup_communication_response(setup_response(7, 480), 7);
  ASSERT_TRUE(setup) << setup.error().message;
  EXPECT_EQ(setup->pdu_size, 480);
  EXPECT_EQ(setup->max_amq_calling, 3);
  EXPECT_EQ(setup->max_amq_called, 3);
}

TEST(S7Setup, AcceptsASmallButUsablePduSize) {
  auto setup = parse_setup_communication_response(setup_response(7, 120), 7);
  ASSERT_TRUE(setup) << setup.error().message;
  EXPECT_EQ(setup->pdu_size, 120);
}

TEST(S7Setup, RefusesAPduSizeOfZeroOrTooSmall) {
  auto zero = parse_setup_communication_response(setup_response(7, 0), 7);
  ASSERT_FALSE(zero);
  EXPECT_TRUE(contains(zero.error().message, "PDU size of 0 bytes"));
  auto tiny = parse_setup_communication_response(setup_response(7, 32), 7);
  ASSERT_FALSE(tiny);
  EXPECT_TRUE(contains(tiny.error().message, "PDU size of 32 bytes, too small"));
}

TEST(S7Setup, RefusalByErrorClass) {
  auto refused = parse_setup_communication_response(setup_response(7, 480, 0x81, 0x04), 7);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(contains(refused.error().message,
                       "the PLC refused the Setup Communication request: error class 0x81 code 0x04 "
                       "(application relationship error: the PLC does not support this function"));
}

TEST(S7Setup, RefusesAWrongReferenceFunctionOrParameterLength) {
  auto reference = parse_setup_communication_response(setup_response(8, 480), 7);
  ASSERT_FALSE(reference);
  EXPECT_TRUE(contains(reference.error().message, "PDU reference 8 instead of 7"));

  Bytes wrong_function = setup_response(7, 480);
  wrong_function[12] = 0x04;
  auto function = parse_setup_communication_response(wrong_function, 7);
  ASSERT_FALSE(function);
  EXPECT_TRUE(contains(function.error().message, "function 0x04 instead of 0xF0"));

  // Parameter length 6 (the PDU size field missing).
  auto short_parameters = parse_setup_communication_response(
      frame({0x32, 0x03, 0, 0, 0, 7, 0x00, 0x06, 0x00, 0x00, 0, 0, 0xF0, 0x00, 0x00, 0x01, 0x00, 0x01}), 7);
  ASSERT_FALSE(short_parameters);
  EXPECT_TRUE(contains(short_parameters.error().message, "6 parameter bytes instead of 8"));

  // A job where an acknowledgement is due.
  auto job = parse_setup_communication_response(
      frame({0x32, 0x01, 0, 0, 0, 7, 0x00, 0x08, 0x00, 0x00, 0xF0, 0, 0, 1, 0, 1, 0x01, 0xE0}), 7);
  ASSERT_FALSE(job);
  EXPECT_TRUE(contains(job.error().message, "instead of an acknowledgement"));

  // An ack (ROSCTR 2) without error and without the data.
  auto ack = parse_setup_communication_response(frame({0x32, 0x02, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0}), 7);
  ASSERT_FALSE(ack);
  EXPECT_TRUE(contains(ack.error().message, "acknowledged the Setup Communication request without the data"));
}

// ---- Read Var ----

TEST(S7Read, RequestBytes) {
  const std::vector<PlannedItem> items = {db_item(10, 4, 6), flags_item(20, 2), timer_item(3, 2)};
  const Bytes expected = frame({
      0x32, 0x01, 0x00, 0x00,  // S7comm, job, reserved
      0x01, 0x02,              // PDU reference
      0x00, 0x26,              // parameter length 2 + 3 * 12 = 38
      0x00, 0x00,              // data length
      0x04, 0x03,              // Read Var, 3 items
      // item 1: DB10, bytes 4..9
      0x12, 0x0A, 0x10,  // variable specification, length 10, syntax S7ANY
      0x02, 0x00, 0x06,  // transport BYTE, count 6
      0x00, 0x0A,        // DB 10
      0x84,              // area DB
      0x00, 0x00, 0x20,  // bit address 4 * 8 = 32
      // item 2: MB20..21
      0x12, 0x0A, 0x10, 0x02, 0x00, 0x02,  // BYTE, count 2
      0x00, 0x00,                          // no DB
      0x83,                                // area flags
      0x00, 0x00, 0xA0,                    // 20 * 8 = 160
      // item 3: T3..T4
      0x12, 0x0A, 0x10, 0x1D, 0x00, 0x02,  // transport TIMER, 2 timers
      0x00, 0x00,                          // no DB
      0x1D,                                // area timers
      0x00, 0x00, 0x03,                    // timer number 3 (not a bit address)
  });
  EXPECT_EQ(build_read_request(0x0102, items), expected);
}

// Three items: DB10 bytes 4..6 (3 bytes, odd: a fill byte follows), a refused item, T3 (octet string).
Bytes read_response(int reference) {
  return frame({
      0x32,           0x03,
      0x00,           0x00,              // S7comm, ack_data
      reference >> 8, reference & 0xFF,  // PDU reference
      0x00,           0x02,              // parameter length
      0x00,           0x12,              // data length 18
      0x00,           0x00,              // no error
      0x04,           0x03,              // Read Var, 3 items
      0xFF,           0x04,
      0x00,           0x18,  // item 1: success, BYTE, 24 bits
      0x11,           0x22,
      0x33,  //   data
      0x00,  //   fill byte (odd length, not the last item)
      0x0A,           0x00,
      0x00,           0x00,  // item 2: object does not exist, no data
      0xFF,           0x09,
      0x00,           0x02,  // item 3: success, octet string, 2 bytes
      0x12,           0x34,  //   data
  });
}

const std::vector<PlannedItem> kThreeItems = {db_item(10, 4, 3), db_item(99, 0, 2), timer_item(3, 1)};

TEST(S7Read, ParsesItemsWithFillByteAndARefusedItem) {
  const Bytes pdu = read_response(5);
  auto readings = parse_read_response(pdu, 5, kThreeItems);
  ASSERT_TRUE(readings) << readings.error().message;
  ASSERT_EQ(readings->size(), 3u);
  EXPECT_EQ((*readings)[0].return_code, 0xFF);
  EXPECT_EQ(Bytes((*readings)[0].data.begin(), (*readings)[0].data.end()), frame({0x11, 0x22, 0x33}));
  EXPECT_EQ((*readings)[1].return_code, 0x0A);
  EXPECT_TRUE((*readings)[1].data.empty());
  EXPECT_EQ(Bytes((*readings)[2].data.begin(), (*readings)[2].data.end()), frame({0x12, 0x34}));
}

TEST(S7Read, ParsesABitItem) {
  PlannedItem bit = db_item(1, 0, 1);
  bit.transport = TransportSize::bit;
  auto readings = parse_read_response(frame({
                                          0x32, 0x03, 0,    0,    0, 1,  // ack_data, reference 1
                                          0x00, 0x02, 0x00, 0x05,        // parameter 2, data 5
                                          0,    0,                       // no error
                                          0x04, 0x01,                    // Read Var, 1 item
                                          0xFF, 0x03, 0x00, 0x01,        // success, BIT, 1 bit
                                          0x01,                          // the bit
                                      }),
                                      1, std::vector<PlannedItem>{bit});
  ASSERT_TRUE(readings) << readings.error().message;
  EXPECT_EQ((*readings)[0].data.size(), 1u);
}

TEST(S7Read, AcceptsAFillByteAfterAnOddLastItem) {
  auto readings =
      parse_read_response(frame({
                              0x32, 0x03, 0,    0,    0, 1, 0x00, 0x02, 0x00, 0x06, 0, 0, 0x04, 0x01,  // 1 item
                              0xFF, 0x04, 0x00, 0x08,                                                  // 8 bits
                              0x42, 0x00,  // data, fill byte
                          }),
                          1, std::vector<PlannedItem>{db_item(1, 0, 1)});
  EXPECT_TRUE(readings) << readings.error().message;
}

TEST(S7Read, RefusesAnItemCountMismatch) {
  const std::vector<PlannedItem> four = {db_item(10, 4, 3), db_item(99, 0, 2), timer_item(3, 1), db_item(1, 0, 2)};
  auto readings = parse_read_response(read_response(5), 5, four);
  ASSERT_FALSE(readings);
  EXPECT_TRUE(contains(readings.error().message, "the PLC answered 3 items to a Read Var request of 4"));
}

TEST(S7Read, RefusesADataLengthBeyondTheFrame) {
  Bytes pdu = read_response(5);
  pdu[29] = 0x20;  // item 3: 32 bytes announced, 2 present (and 32 != 2 requested: make the request match)
  std::vector<PlannedItem> items = kThreeItems;
  items[2].count = 16;  // 16 timers = 32 bytes
  auto readings = parse_read_response(pdu, 5, items);
  ASSERT_FALSE(readings);
  EXPECT_TRUE(contains(readings.error().message, "announces 32 bytes for item 3 (T 3..18) but holds 2"));
}

TEST(S7Read, RefusesADataLengthOtherThanRequested) {
  std::vector<PlannedItem> items = kThreeItems;
  items[0].count = 4;
  auto readings = parse_read_response(read_response(5), 5, items);
  ASSERT_FALSE(readings);
  EXPECT_TRUE(
      contains(readings.error().message, "answered item 1 (DB10 bytes 4..7) with 3 data bytes, 4 were requested"));
}

TEST(S7Read, RefusesAWrongReferenceOrFunction) {
  auto reference = parse_read_response(read_response(5), 6, kThreeItems);
  ASSERT_FALSE(reference);
  EXPECT_TRUE(contains(reference.error().message, "PDU reference 5 instead of 6"));
  Bytes write_answer = read_response(5);
  write_answer[12] = 0x05;
  auto function = parse_read_response(write_answer, 5, kThreeItems);
  ASSERT_FALSE(function);
  EXPECT_TRUE(contains(function.error().message, "function 0x05 instead of 0x04"));
}

TEST(S7Read, RefusesAnErrorClassInAckData) {
  auto refused = parse_read_response(frame({
                                         0x32, 0x03, 0, 0, 0, 5,  // ack_data, reference 5
                                         0x00, 0x00, 0x00, 0x00,  // no parameters, no data
                                         0x85, 0x00,              // error on supplies
                                     }),
                                     5, kThreeItems);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(contains(refused.error().message,
                       "the PLC refused the Read Var request: error class 0x85 code 0x00 (error on "
                       "supplies: the request is longer than the PDU size)"));
}

TEST(S7Read, RefusesTruncatedItemsMissingFillBytesUnknownTransportAndTrailingBytes) {
  const std::vector<PlannedItem> two = {db_item(1, 0, 1), db_item(1, 2, 2)};
  // The data ends inside item 2's header.
  auto truncated = parse_read_response(frame({0x32, 0x03, 0,    0,    0,    1,    0x00, 0x02, 0x00, 0x08, 0,
                                              0,    0x04, 0x02, 0xFF, 0x04, 0x00, 0x08, 0x42, 0x00,  // item 1 + fill
                                              0xFF, 0x04}),  // item 2: half a header
                                       1, two);
  ASSERT_FALSE(truncated);
  EXPECT_TRUE(contains(truncated.error().message, "ends before item 2 (DB1 bytes 2..3)"));
  // Item 1 has odd data and no fill byte: nothing left for item 2.
  auto no_fill = parse_read_response(
      frame({0x32, 0x03, 0, 0, 0, 1, 0x00, 0x02, 0x00, 0x05, 0, 0, 0x04, 0x02, 0xFF, 0x04, 0x00, 0x08, 0x42}), 1, two);
  ASSERT_FALSE(no_fill);
  EXPECT_TRUE(contains(no_fill.error().message, "lacks the fill byte after item 1"));
  // Transport size 0x0F means nothing.
  auto transport = parse_read_response(
      frame({0x32, 0x03, 0, 0, 0, 1, 0x00, 0x02, 0x00, 0x05, 0, 0, 0x04, 0x01, 0xFF, 0x0F, 0x00, 0x01, 0x42}), 1,
      std::vector<PlannedItem>{db_item(1, 0, 1)});
  ASSERT_FALSE(transport);
  EXPECT_TRUE(contains(transport.error().message, "unknown data transport size 0x0F"));
  // Two bytes after the last (even) item.
  auto trailing = parse_read_response(frame({0x32, 0x03, 0,    0,    0,    1,    0x00, 0x02, 0x00, 0x08, 0,
                                             0,    0x04, 0x01, 0xFF, 0x04, 0x00, 0x10, 0x42, 0x43, 0x99, 0x99}),
                                      1, std::vector<PlannedItem>{db_item(1, 0, 2)});
  ASSERT_FALSE(trailing);
  EXPECT_TRUE(contains(trailing.error().message, "2 bytes after its last item"));
}

// ---- Write Var ----

TEST(S7Write, ByteTransportRequest) {
  const Address word = address(Area::data_block, 10, 6, DataType::Word);
  const Bytes expected = frame({
      0x32, 0x01, 0x00, 0x00, 0x00, 0x09,  // S7comm, job, reference 9
      0x00, 0x0E,                          // parameter length 14
      0x00, 0x06,                          // data length 6
      0x05, 0x01,                          // Write Var, 1 item
      0x12, 0x0A, 0x10, 0x02, 0x00, 0x02,  // BYTE transport, 2 bytes
      0x00, 0x0A, 0x84, 0x00, 0x00, 0x30,  // DB10, bit address 6 * 8 = 48
      0x00, 0x04, 0x00, 0x10,              // data: reserved, BYTE/bits, 16 bits
      0xAB, 0xCD,                          // the value
  });
  EXPECT_EQ(build_write_request(0x0009, word, frame({0xAB, 0xCD})), expected);
}

TEST(S7Write, BitTransportRequestForBool) {
  const Address bit = address(Area::data_block, 10, 4, DataType::Bool, 3);
  const Bytes expected = frame({
      0x32, 0x01, 0x00, 0x00, 0x00, 0x09, 0x00, 0x0E, 0x00, 0x05,  // parameter 14, data 5
      0x05, 0x01, 0x12, 0x0A, 0x10, 0x01, 0x00, 0x01,              // BIT transport, 1 bit
      0x00, 0x0A, 0x84, 0x00, 0x00, 0x23,                          // DB10, bit address 4 * 8 + 3 = 35
      0x00, 0x03, 0x00, 0x01,                                      // data: reserved, BIT, 1 bit
      0x01,                                                        // TRUE
  });
  EXPECT_EQ(build_write_request(0x0009, bit, frame({0x01})), expected);
}

TEST(S7Write, TimerTransportRequest) {
  const Address timer = address(Area::timers, 0, 3, DataType::S5Time);
  const Bytes expected = frame({
      0x32, 0x01, 0x00, 0x00, 0x00, 0x09, 0x00, 0x0E, 0x00,
      0x06, 0x05, 0x01, 0x12, 0x0A, 0x10, 0x1D, 0x00, 0x01,  // TIMER transport, 1 timer
      0x00, 0x00, 0x1D, 0x00, 0x00, 0x03,                    // timers, number 3
      0x00, 0x09, 0x00, 0x02,                                // data: reserved, octet string, 2 bytes
      0x21, 0x00,

  });
  EXPECT_EQ(build_write_request(0x0009, timer, frame({0x21, 0x00})), expected);
}

Bytes write_response(int reference, int return_code) {
  return frame({
      0x32,
      0x03,
      0x00,
      0x00,
      reference >> 8,
      reference & 0xFF,  // ack_data
      0x00,
      0x02,
      0x00,
      0x01,  // parameter 2, data 1
      0x00,
      0x00,  // no error
      0x05,
      0x01,  // Write Var, 1 item
      return_code,
  });
}

TEST(S7Write, ParsesTheReturnCode) {
  auto success = parse_write_response(write_response(9, 0xFF), 9);
  ASSERT_TRUE(success) << success.error().message;
  EXPECT_EQ(*success, kReturnCodeSuccess);
  auto refused = parse_write_response(write_response(9, 0x05), 9);
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_EQ(*refused, 0x05);
}

TEST(S7Write, RefusesInconsistentAnswers) {
  auto reference = parse_write_response(write_response(9, 0xFF), 10);
  ASSERT_FALSE(reference);
  EXPECT_TRUE(contains(reference.error().message, "PDU reference 9 instead of 10"));
  Bytes two_items = write_response(9, 0xFF);
  two_items[13] = 2;
  auto items = parse_write_response(two_items, 9);
  ASSERT_FALSE(items);
  EXPECT_TRUE(contains(items.error().message, "answered 2 items to a Write Var request of 1"));
  auto no_code = parse_write_response(frame({0x32, 0x03, 0, 0, 0, 9, 0, 2, 0, 0, 0, 0, 0x05, 0x01}), 9);
  ASSERT_FALSE(no_code);
  EXPECT_TRUE(contains(no_code.error().message, "0 data bytes instead of one return code"));
  Bytes read_function = write_response(9, 0xFF);
  read_function[12] = 0x04;
  EXPECT_FALSE(parse_write_response(read_function, 9));
}

// ---- texts ----

TEST(S7Texts, ReturnCodes) {
  EXPECT_EQ(describe_return_code(0x0A), "PLC return code 0x0A (object does not exist)");
  EXPECT_EQ(describe_return_code(0x01), "PLC return code 0x01 (hardware fault)");
  EXPECT_EQ(describe_return_code(0x03), "PLC return code 0x03 (access denied)");
  EXPECT_EQ(describe_return_code(0x05), "PLC return code 0x05 (address out of range)");
  EXPECT_EQ(describe_return_code(0x06), "PLC return code 0x06 (data type not supported)");
  EXPECT_EQ(describe_return_code(0x07), "PLC return code 0x07 (data type inconsistent)");
  EXPECT_EQ(describe_return_code(0x42), "PLC return code 0x42 (unknown return code)");
}

TEST(S7Texts, Items) {
  EXPECT_EQ(describe_item(db_item(10, 4, 8)), "DB10 bytes 4..11");
  EXPECT_EQ(describe_item(flags_item(0, 2)), "M bytes 0..1");
  EXPECT_EQ(describe_item(timer_item(3, 2)), "T 3..4");
}

}  // namespace
}  // namespace logbot::agent::s7
