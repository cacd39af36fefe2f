// TPKT (RFC 1006), COTP (ISO 8073 class 0) and S7comm PDUs: building requests and parsing
// responses. No I/O; every parser is fuzzed (fuzz/s7_response_fuzz).
//
// One S7 exchange on the wire:
//   TPKT  03 00 LL LL                     version 3, reserved, length including these 4 bytes
//   COTP  02 F0 80                        data TPDU, last fragment (EOT) of the S7 PDU
//   S7    32 ROSCTR 00 00 REF REF PL PL DL DL [EC EN]  header (error class/code in ack_data)
//         parameters (PL bytes), data (DL bytes)
// A PDU may arrive split across several data TPDUs; PduAssembler joins them.
//
// Every parser returns its value or an Error (agent/s7/error.hpp): bad_response for what the
// peer got wrong, refused_by_plc for a COTP disconnect request or an S7 header error class.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/s7/error.hpp"
#include "agent/s7/s7_address.hpp"
#include "agent/s7/s7_plan.hpp"

namespace logbot::agent::s7 {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

constexpr std::size_t kTpktHeaderSize = 4;
constexpr std::size_t kDataTpduHeaderSize = 3;  // length indicator, code 0xF0, EOT/number
constexpr std::size_t kMinimumTpktLength = kTpktHeaderSize + kDataTpduHeaderSize;
// Below this a Read Var response cannot carry one item with data: refuse such a session.
constexpr std::size_t kSmallestUsablePduSize = 64;
// The smallest PDU size every S7 CPU offers; a PLC negotiating less is accepted with a warning.
constexpr std::size_t kSmallestStandardPduSize = 240;
// Return code of a Read/Write Var item the PLC served.
constexpr std::uint8_t kReturnCodeSuccess = 0xFF;

// ---- TSAPs ----

struct Tsaps {
  std::uint16_t local = 0x0100;
  std::uint16_t remote = 0x0102;
};

// The PLC's TSAP for a CPU at rack/slot: the connection resource type (1 PG, 2 OP, 3 S7-basic)
// in the high byte, rack in bits 7..5 and slot in bits 4..0 of the low byte. Rack 0..7, slot 0..31.
std::uint16_t remote_tsap(std::uint8_t connection_type, std::uint16_t rack, std::uint16_t slot) noexcept;
constexpr std::uint16_t kLocalTsap = 0x0100;

// ---- TPKT ----

// The largest TPKT frame accepted while the PDU size is `pdu_size`: one data TPDU carrying a
// whole PDU. A connect/disconnect TPDU is always far smaller.
std::size_t tpkt_length_limit(std::size_t pdu_size) noexcept;

// Checks the 4-byte TPKT header and returns the frame length (header included).
Result<std::size_t> parse_tpkt_header(ByteView header, std::size_t length_limit);

// ---- COTP ----

// The TPKT frame of a COTP Connection Request (class 0, TPDU size 1024, both TSAPs).
Bytes build_connection_request(const Tsaps& tsaps);

// Checks a TPKT payload (the COTP TPDU) for a Connection Confirm. A Disconnect Request
// becomes an error naming its reason (usually a wrong rack/slot or TSAP).
Result<void> parse_connection_confirm(ByteView cotp);

// Wraps one S7 PDU in a TPKT frame holding a single data TPDU with the EOT bit set.
Bytes wrap_in_data_tpdu(ByteView s7_pdu);

// Joins the data TPDUs of one S7 PDU, refusing a PDU longer than `pdu_limit` bytes.
class PduAssembler {
 public:
  explicit PduAssembler(std::size_t pdu_limit) : pdu_limit_(pdu_limit) {}
  // Adds one TPKT payload. True when it completed a PDU (then pdu() holds it until the next
  // add()); false when more fragments are due. A disconnect request or any other TPDU type
  // is an error.
  Result<bool> add(ByteView cotp);
  ByteView pdu() const noexcept { return pdu_; }
  void set_limit(std::size_t pdu_limit) noexcept { pdu_limit_ = pdu_limit; }

 private:
  std::size_t pdu_limit_;
  Bytes pdu_;
  bool complete_ = false;
};

// ---- S7 header ----

enum class Rosctr : std::uint8_t { job = 0x01, ack = 0x02, ack_data = 0x03, user_data = 0x07 };

enum class Function : std::uint8_t { read_var = 0x04, write_var = 0x05, setup_communication = 0xF0 };

struct S7Message {
  Rosctr rosctr = Rosctr::job;
  std::uint16_t pdu_reference = 0;
  std::uint8_t error_class = 0;  // ack and ack_data only
  std::uint8_t error_code = 0;
  ByteView parameters;
  ByteView data;
};

// Splits an S7 PDU into header, parameters and data; the lengths must add up exactly.
Result<S7Message> parse_s7_message(ByteView pdu);

// "error class 0x85 code 0x00 (error on supplies: the request is longer than the PDU size)"
std::string describe_header_error(std::uint8_t error_class, std::uint8_t error_code);

// ---- Setup Communication ----

struct CommunicationSetup {
  std::uint16_t max_amq_calling = 1;  // jobs the client may have in flight
  std::uint16_t max_amq_called = 1;   // jobs the PLC may have in flight
  std::uint16_t pdu_size = 960;
};

Bytes build_setup_communication(std::uint16_t pdu_reference, const CommunicationSetup& requested);
// The PLC's answer; refuses a PDU size of 0 or below kSmallestUsablePduSize.
Result<CommunicationSetup> parse_setup_communication_response(ByteView pdu, std::uint16_t pdu_reference);

// ---- Read Var ----

// The S7 PDU (without TPKT/COTP) reading `items` (at most 255).
Bytes build_read_request(std::uint16_t pdu_reference, std::span<const PlannedItem> items);

struct ItemReading {
  std::uint8_t return_code = 0;  // kReturnCodeSuccess: `data` holds item.data_bytes() bytes
  ByteView data;                 // a view into the parsed PDU
};

// Parses the answer to build_read_request(pdu_reference, items): one reading per item, in order.
Result<std::vector<ItemReading>> parse_read_response(ByteView pdu, std::uint16_t pdu_reference,
                                                     std::span<const PlannedItem> items);

// ---- Write Var ----

// The S7 PDU writing `value` (address.size() bytes, one byte 0/1 for Bool) at `address`:
// bit transport for Bool, timer/counter transport for T/C, byte transport otherwise.
Bytes build_write_request(std::uint16_t pdu_reference, const Address& address, ByteView value);
// The return code of the single written item.
Result<std::uint8_t> parse_write_response(ByteView pdu, std::uint16_t pdu_reference);

// ---- texts ----

// "object does not exist" for 0x0A; "unknown return code" for codes without a meaning.
std::string_view return_code_text(std::uint8_t return_code) noexcept;
// "PLC return code 0x0A (object does not exist)"
std::string describe_return_code(std::uint8_t return_code);
// describe_return_code, and for 0x05/0x0A on a data block what usually causes it: the DB is
// shorter than the address (0x05), does not exist (0x0A), or has optimized block access on.
std::string describe_refusal(std::uint8_t return_code, const Address& address);
// "DB10 bytes 4..11", "M bytes 0..1", "T 3..4": an item in a message.
std::string describe_item(const PlannedItem& item);

}  // namespace logbot::agent::s7
