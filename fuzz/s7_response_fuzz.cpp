// Fuzzes every parser of what an S7 PLC sends: TPKT headers, COTP connection confirms and
// data TPDUs (joined by PduAssembler), S7 headers, Setup Communication, Read Var and Write Var
// answers. The input is read three ways: as a stream of TPKT frames (the seed corpus holds
// real captured frames), as one COTP TPDU and as one bare S7 PDU.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "agent/s7/s7_pdu.hpp"

namespace {

using namespace logbot::agent::s7;

// Read Var items shaped after the answer itself, so the parser gets past the count and
// length checks and into the data of each item.
std::vector<PlannedItem> items_matching(ByteView pdu) {
  std::vector<PlannedItem> items;
  auto message = parse_s7_message(pdu);
  if (!message || message->parameters.size() < 2) return items;
  const ByteView data = message->data;
  std::size_t at = 0;
  for (std::size_t index = 0; index < message->parameters[1]; ++index) {
    PlannedItem item;
    item.area = Area::data_block;
    item.db = 1;
    item.count = 1;
    if (at + 4 <= data.size()) {
      const std::size_t field = static_cast<std::size_t>((data[at + 2] << 8) | data[at + 3]);
      const bool in_bits = data[at + 1] >= 0x03 && data[at + 1] <= 0x05;
      const std::size_t length = in_bits ? (field + 7) / 8 : field;
      item.count = static_cast<std::uint16_t>(length);
      at += 4 + (data[at] == kReturnCodeSuccess ? length + (length % 2) : 0);
    }
    items.push_back(item);
  }
  return items;
}

void parse_pdu(ByteView pdu) {
  const std::uint16_t reference = pdu.size() >= 6 ? static_cast<std::uint16_t>((pdu[4] << 8) | pdu[5]) : 0;
  (void)parse_setup_communication_response(pdu, reference);
  (void)parse_write_response(pdu, reference);
  const std::vector<PlannedItem> items = items_matching(pdu);
  auto readings = parse_read_response(pdu, reference, items);
  if (readings) {
    // Every view must lie inside the PDU (ASan checks the reads).
    volatile std::uint8_t sum = 0;
    for (const ItemReading& reading : *readings)
      for (std::uint8_t byte : reading.data) sum = static_cast<std::uint8_t>(sum + byte);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const ByteView input(bytes, size);

  // A stream of TPKT frames: the first may be a connection confirm, the rest data TPDUs.
  PduAssembler assembler(960);
  std::size_t at = 0;
  for (unsigned frames = 0; at + kTpktHeaderSize <= input.size() && frames < 64; ++frames) {
    auto length = parse_tpkt_header(input.subspan(at, kTpktHeaderSize), tpkt_length_limit(960));
    if (!length || at + *length > input.size()) break;
    const ByteView cotp = input.subspan(at + kTpktHeaderSize, *length - kTpktHeaderSize);
    at += *length;
    if (frames == 0 && parse_connection_confirm(cotp)) continue;
    auto complete = assembler.add(cotp);
    if (!complete) break;
    if (*complete) parse_pdu(assembler.pdu());
  }

  // The whole input as one COTP TPDU and as one S7 PDU.
  (void)parse_connection_confirm(input);
  PduAssembler single(240);
  if (auto complete = single.add(input); complete && *complete) parse_pdu(single.pdu());
  parse_pdu(input);
  return 0;
}
