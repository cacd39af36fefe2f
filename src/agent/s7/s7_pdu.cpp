// TPKT, COTP and S7comm encoding and decoding: pure functions over byte spans. Every read of
// a peer's byte is preceded by a bounds check; every inconsistency is an error sentence that
// tells a commissioning engineer what the PLC sent.
#include "agent/s7/s7_pdu.hpp"

#include <cstdio>

namespace logbot::agent::s7 {

namespace {

// TPKT (RFC 1006)
constexpr std::uint8_t kTpktVersion = 3;
// COTP TPDU codes (ISO 8073)
constexpr std::uint8_t kCotpConnectionRequest = 0xE0;
constexpr std::uint8_t kCotpConnectionConfirm = 0xD0;
constexpr std::uint8_t kCotpDisconnectRequest = 0x80;
constexpr std::uint8_t kCotpData = 0xF0;
constexpr std::uint8_t kCotpEndOfTransmission = 0x80;
// COTP parameter codes
constexpr std::uint8_t kCotpTpduSize = 0xC0;
constexpr std::uint8_t kCotpCallingTsap = 0xC1;
constexpr std::uint8_t kCotpCalledTsap = 0xC2;
constexpr std::uint8_t kTpduSize1024 = 0x0A;  // 2^10
// The source reference we announce; any value works, the PLC echoes it.
constexpr std::uint16_t kCotpSourceReference = 0x0001;
// S7comm
constexpr std::uint8_t kProtocolId = 0x32;
constexpr std::size_t kRequestHeaderSize = 10;
constexpr std::size_t kResponseHeaderSize = 12;
constexpr std::uint8_t kSyntaxIdAny = 0x10;  // variable specification: S7ANY pointer
constexpr std::uint8_t kVariableSpecification = 0x12;
constexpr std::uint8_t kAddressSpecificationLength = 0x0A;
// Data transport sizes of the data part (not the item's transport size of the request)
constexpr std::uint8_t kDataBit = 0x03;          // length in bits
constexpr std::uint8_t kDataByte = 0x04;         // BYTE/WORD/DWORD, length in bits
constexpr std::uint8_t kDataInteger = 0x05;      // INT/DINT, length in bits
constexpr std::uint8_t kDataDInteger = 0x06;     // length in bytes
constexpr std::uint8_t kDataReal = 0x07;         // length in bytes
constexpr std::uint8_t kDataOctetString = 0x09;  // length in bytes

std::string hex2(unsigned value) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02X", value & 0xFFu);
  return text;
}

// PlannedItem::data_bytes(), restated so the codec stands alone: timers and counters are 2 bytes each.
std::size_t requested_bytes(const PlannedItem& item) noexcept {
  const bool counted = item.transport == TransportSize::timer || item.transport == TransportSize::counter;
  return counted ? 2u * item.count : item.count;
}

std::uint16_t read_u16(ByteView bytes, std::size_t at) noexcept {
  return static_cast<std::uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

void append_u16(Bytes& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xFF));
}

void append_u24(Bytes& out, std::uint32_t value) {
  out.push_back(static_cast<std::uint8_t>((value >> 16) & 0xFF));
  out.push_back(static_cast<std::uint8_t>((value >> 8) & 0xFF));
  out.push_back(static_cast<std::uint8_t>(value & 0xFF));
}

// The S7 header of a job (request); lengths filled in by finish_job().
Bytes start_job(std::uint16_t pdu_reference) {
  Bytes pdu{kProtocolId, static_cast<std::uint8_t>(Rosctr::job), 0x00, 0x00};
  append_u16(pdu, pdu_reference);
  append_u16(pdu, 0);  // parameter length
  append_u16(pdu, 0);  // data length
  return pdu;
}

void finish_job(Bytes& pdu, std::size_t parameter_length) {
  const std::size_t data_length = pdu.size() - kRequestHeaderSize - parameter_length;
  pdu[6] = static_cast<std::uint8_t>(parameter_length >> 8);
  pdu[7] = static_cast<std::uint8_t>(parameter_length & 0xFF);
  pdu[8] = static_cast<std::uint8_t>(data_length >> 8);
  pdu[9] = static_cast<std::uint8_t>(data_length & 0xFF);
}

// The 12-byte variable specification of a Read/Write Var item.
void append_variable_specification(Bytes& out, TransportSize transport, std::uint16_t count, std::uint16_t db,
                                   Area area, std::uint32_t address) {
  out.push_back(kVariableSpecification);
  out.push_back(kAddressSpecificationLength);
  out.push_back(kSyntaxIdAny);
  out.push_back(static_cast<std::uint8_t>(transport));
  append_u16(out, count);
  append_u16(out, area == Area::data_block ? db : 0);
  out.push_back(static_cast<std::uint8_t>(area));
  append_u24(out, address);
}

std::string_view area_prefix(Area area) noexcept {
  switch (area) {
    case Area::inputs: return "I";
    case Area::outputs: return "Q";
    case Area::flags: return "M";
    case Area::data_block: return "DB";
    case Area::counters: return "C";
    case Area::timers: return "T";
  }
  return "?";
}

std::string_view disconnect_reason_text(std::uint8_t reason) noexcept {
  switch (reason) {
    case 0x00: return "reason not specified";
    case 0x01: return "congestion at the TSAP";
    case 0x02: return "no session attached to the TSAP";
    case 0x03: return "address unknown";
    case 0x80: return "normal disconnect";
    case 0x81: return "remote congestion";
    case 0x82: return "connection negotiation failed";
    case 0x83: return "duplicate source reference";
    case 0x84: return "mismatched references";
    case 0x85: return "protocol error";
    case 0x87: return "reference overflow";
    case 0x88: return "connection request refused";
    case 0x8A: return "header or parameter length invalid";
    default: return "unknown reason";
  }
}

Result<void> disconnect_error(ByteView cotp) {
  // LI, 0x80, destination reference (2), source reference (2), reason (1)
  if (cotp.size() < 7 || cotp[0] < 6)
    return fail(ErrorCode::refused_by_plc,
                "the PLC disconnected (a COTP disconnect request, too short to name a reason)");
  const std::uint8_t reason = cotp[6];
  return fail(ErrorCode::refused_by_plc,
              "the PLC disconnected (COTP disconnect request, reason " + hex2(reason) + ": " +
                  std::string(disconnect_reason_text(reason)) +
                  "); check the rack and slot (or the TSAPs) and the connection type, and that the PLC has a free "
                  "connection resource");
}

// The COTP header length indicator must fit the TPDU.
Result<void> check_length_indicator(ByteView cotp) {
  if (cotp.size() < 2) return fail(ErrorCode::bad_response, "the PLC sent a COTP TPDU of fewer than 2 bytes");
  if (static_cast<std::size_t>(cotp[0]) + 1 > cotp.size())
    return fail(ErrorCode::bad_response, "the PLC sent a COTP header length of " + std::to_string(cotp[0]) +
                                             " bytes in a TPDU of " + std::to_string(cotp.size()) + " bytes");
  return {};
}

std::string cotp_code_name(std::uint8_t code) {
  switch (code & 0xF0) {
    case 0xE0: return "connection request";
    case 0xD0: return "connection confirm";
    case 0x80: return "disconnect request";
    case 0xC0: return "disconnect confirm";
    case 0xF0: return "data";
    case 0x70: return "TPDU error";
    case 0x10: return "expedited data";
    default: return "unknown TPDU " + hex2(code);
  }
}

std::string_view error_class_text(std::uint8_t error_class) noexcept {
  switch (error_class) {
    case 0x81: return "application relationship error";
    case 0x82: return "object definition error";
    case 0x83: return "no resources available";
    case 0x84: return "error on service processing";
    case 0x85: return "error on supplies";
    case 0x87: return "access error";
    default: return "unknown error class";
  }
}

// Known combinations, to say what to do.
std::string_view error_detail_text(std::uint8_t error_class, std::uint8_t error_code) noexcept {
  const unsigned both = (static_cast<unsigned>(error_class) << 8) | error_code;
  switch (both) {
    // What an S7-1200/1500 answers to Read/Write Var while PUT/GET access is off (its default).
    case 0x8104:
      return "the PLC does not support this function or context; on an S7-1200/1500, enable \"Permit access with "
             "PUT/GET communication from remote partner\" in the CPU's protection settings (Properties > "
             "Protection & Security > Connection mechanisms) and download the hardware configuration";
    case 0x8500: return "the request is longer than the PDU size";
    case 0x8304: return "the PLC has no resources for this job (too many parallel jobs?)";
    case 0xD602: return "access denied by the PLC's protection level";
    default: return {};
  }
}

// Checks what every response shares: ack_data, the PDU reference, no header error, the
// function code and the parameter length.
Result<S7Message> parse_response_to(ByteView pdu, std::uint16_t pdu_reference, Function function,
                                    std::size_t parameter_length, std::string_view what) {
  auto message = parse_s7_message(pdu);
  if (!message) return message.error();
  if (message->rosctr != Rosctr::ack_data && message->rosctr != Rosctr::ack)
    return fail(ErrorCode::bad_response,
                "the PLC answered the " + std::string(what) + " request with an S7 PDU of type " +
                    hex2(static_cast<unsigned>(message->rosctr)) + " instead of an acknowledgement");
  if (message->pdu_reference != pdu_reference)
    return fail(ErrorCode::bad_response, "the PLC answered the " + std::string(what) + " request with PDU reference " +
                                             std::to_string(message->pdu_reference) + " instead of " +
                                             std::to_string(pdu_reference));
  if (message->error_class != 0 || message->error_code != 0)
    return fail(ErrorCode::refused_by_plc, "the PLC refused the " + std::string(what) + " request: " +
                                               describe_header_error(message->error_class, message->error_code));
  if (message->rosctr == Rosctr::ack)
    return fail(ErrorCode::bad_response,
                "the PLC acknowledged the " + std::string(what) + " request without the data it asked for");
  if (message->parameters.size() != parameter_length)
    return fail(ErrorCode::bad_response, "the PLC answered the " + std::string(what) + " request with " +
                                             std::to_string(message->parameters.size()) +
                                             " parameter bytes instead of " + std::to_string(parameter_length));
  if (message->parameters[0] != static_cast<std::uint8_t>(function))
    return fail(ErrorCode::bad_response, "the PLC answered the " + std::string(what) + " request with function " +
                                             hex2(message->parameters[0]) + " instead of " +
                                             hex2(static_cast<unsigned>(function)));
  return message;
}

}  // namespace

// ---- TSAPs ----

std::uint16_t remote_tsap(std::uint8_t connection_type, std::uint16_t rack, std::uint16_t slot) noexcept {
  const unsigned rack_and_slot = ((rack & 0x07u) << 5) | (slot & 0x1Fu);
  return static_cast<std::uint16_t>((static_cast<unsigned>(connection_type) << 8) | rack_and_slot);
}

// ---- TPKT ----

std::size_t tpkt_length_limit(std::size_t pdu_size) noexcept {
  return kTpktHeaderSize + kDataTpduHeaderSize + pdu_size;
}

Result<std::size_t> parse_tpkt_header(ByteView header, std::size_t length_limit) {
  if (header.size() < kTpktHeaderSize)
    return fail(ErrorCode::bad_response, "the PLC sent a TPKT header of fewer than 4 bytes");
  if (header[0] != kTpktVersion)
    return fail(ErrorCode::bad_response, "the peer sent TPKT version " + std::to_string(header[0]) +
                                             " (expected 3): is this port an S7 PLC (ISO-on-TCP, usually port 102)?");
  const std::size_t length = read_u16(header, 2);
  if (length < kMinimumTpktLength)
    return fail(ErrorCode::bad_response, "the PLC sent a TPKT length of " + std::to_string(length) +
                                             " bytes, below the minimum of " + std::to_string(kMinimumTpktLength));
  if (length > length_limit)
    return fail(ErrorCode::bad_response, "the PLC sent a TPKT length of " + std::to_string(length) +
                                             " bytes, more than the " + std::to_string(length_limit) +
                                             " the PDU size allows");
  return length;
}

// ---- COTP ----

Bytes build_connection_request(const Tsaps& tsaps) {
  Bytes frame{kTpktVersion, 0x00, 0x00, 0x00};
  // COTP: length indicator (filled below), CR code, destination reference 0, source reference,
  // class 0 without options.
  frame.push_back(0);
  frame.push_back(kCotpConnectionRequest);
  append_u16(frame, 0x0000);
  append_u16(frame, kCotpSourceReference);
  frame.push_back(0x00);
  frame.insert(frame.end(), {kCotpTpduSize, 1, kTpduSize1024});
  frame.insert(frame.end(), {kCotpCallingTsap, 2});
  append_u16(frame, tsaps.local);
  frame.insert(frame.end(), {kCotpCalledTsap, 2});
  append_u16(frame, tsaps.remote);
  frame[4] = static_cast<std::uint8_t>(frame.size() - kTpktHeaderSize - 1);
  frame[2] = static_cast<std::uint8_t>(frame.size() >> 8);
  frame[3] = static_cast<std::uint8_t>(frame.size() & 0xFF);
  return frame;
}

Result<void> parse_connection_confirm(ByteView cotp) {
  if (auto checked = check_length_indicator(cotp); !checked) return checked;
  const std::uint8_t code = cotp[1] & 0xF0;
  if (code == kCotpDisconnectRequest) return disconnect_error(cotp);
  if (code != kCotpConnectionConfirm)
    return fail(ErrorCode::bad_response, "the PLC answered the COTP connection request with a " +
                                             cotp_code_name(cotp[1]) + " TPDU instead of a connection confirm");
  // LI, code, destination reference (2), source reference (2), class: then parameters.
  const std::size_t header_end = static_cast<std::size_t>(cotp[0]) + 1;
  if (header_end < 7)
    return fail(ErrorCode::bad_response, "the PLC sent a COTP connection confirm shorter than its fixed part");
  // Parameters are (code, length, value) triples; they must tile the header exactly.
  std::size_t at = 7;
  for (unsigned parameters = 0; at < header_end && parameters < 64; ++parameters) {
    if (at + 2 > header_end || at + 2 + cotp[at + 1] > header_end)
      return fail(ErrorCode::bad_response,
                  "the PLC sent a COTP connection confirm whose parameters overrun its header");
    at += 2 + static_cast<std::size_t>(cotp[at + 1]);
  }
  if (at != header_end)
    return fail(ErrorCode::bad_response, "the PLC sent a COTP connection confirm with more parameters than expected");
  return {};
}

Bytes wrap_in_data_tpdu(ByteView s7_pdu) {
  const std::size_t length = kTpktHeaderSize + kDataTpduHeaderSize + s7_pdu.size();
  Bytes frame{kTpktVersion,
              0x00,
              static_cast<std::uint8_t>(length >> 8),
              static_cast<std::uint8_t>(length & 0xFF),
              0x02,
              kCotpData,
              kCotpEndOfTransmission};
  frame.insert(frame.end(), s7_pdu.begin(), s7_pdu.end());
  return frame;
}

Result<bool> PduAssembler::add(ByteView cotp) {
  if (complete_) {
    pdu_.clear();
    complete_ = false;
  }
  if (auto checked = check_length_indicator(cotp); !checked) return checked.error();
  const std::uint8_t code = cotp[1] & 0xF0;
  if (code == kCotpDisconnectRequest) return disconnect_error(cotp).error();
  if (cotp[1] != kCotpData)
    return fail(ErrorCode::bad_response,
                "the PLC sent a COTP " + cotp_code_name(cotp[1]) + " TPDU where S7 data was expected");
  if (cotp[0] != 2)
    return fail(ErrorCode::bad_response,
                "the PLC sent a COTP data header of " + std::to_string(cotp[0]) + " bytes instead of 2");
  const bool last = (cotp[2] & kCotpEndOfTransmission) != 0;
  const ByteView fragment = cotp.subspan(kDataTpduHeaderSize);
  // An empty non-final fragment adds nothing: refusing it bounds the fragments per PDU.
  if (fragment.empty() && !last)
    return fail(ErrorCode::bad_response, "the PLC sent an empty COTP data TPDU that does not end a PDU");
  if (pdu_.size() + fragment.size() > pdu_limit_)
    return fail(ErrorCode::bad_response, "the PLC sent an S7 PDU longer than the negotiated PDU size of " +
                                             std::to_string(pdu_limit_) + " bytes");
  pdu_.insert(pdu_.end(), fragment.begin(), fragment.end());
  complete_ = last;
  return last;
}

// ---- S7 header ----

Result<S7Message> parse_s7_message(ByteView pdu) {
  if (pdu.empty()) return fail(ErrorCode::bad_response, "the PLC sent an empty S7 PDU");
  if (pdu[0] != kProtocolId)
    return fail(ErrorCode::bad_response,
                "the PLC sent a PDU with protocol id " + hex2(pdu[0]) +
                    " instead of 0x32 (S7comm): it may speak another protocol (S7comm-plus, or not S7 at all)");
  if (pdu.size() < kRequestHeaderSize)
    return fail(ErrorCode::bad_response,
                "the PLC sent an S7 PDU of " + std::to_string(pdu.size()) + " bytes, shorter than its header");
  S7Message message;
  const std::uint8_t rosctr = pdu[1];
  std::size_t header_size = kRequestHeaderSize;
  switch (rosctr) {
    case 0x01:
    case 0x07: break;
    case 0x02:
    case 0x03: header_size = kResponseHeaderSize; break;
    default: return fail(ErrorCode::bad_response, "the PLC sent an S7 PDU of unknown type " + hex2(rosctr));
  }
  if (pdu.size() < header_size)
    return fail(ErrorCode::bad_response,
                "the PLC sent an S7 PDU of " + std::to_string(pdu.size()) + " bytes, shorter than its header");
  message.rosctr = static_cast<Rosctr>(rosctr);
  message.pdu_reference = read_u16(pdu, 4);
  const std::size_t parameter_length = read_u16(pdu, 6);
  const std::size_t data_length = read_u16(pdu, 8);
  if (header_size == kResponseHeaderSize) {
    message.error_class = pdu[10];
    message.error_code = pdu[11];
  }
  if (header_size + parameter_length + data_length != pdu.size())
    return fail(ErrorCode::bad_response, "the PLC sent an S7 PDU of " + std::to_string(pdu.size()) +
                                             " bytes whose header announces " +
                                             std::to_string(header_size + parameter_length + data_length) + " (" +
                                             std::to_string(parameter_length) + " parameter and " +
                                             std::to_string(data_length) + " data bytes)");
  message.parameters = pdu.subspan(header_size, parameter_length);
  message.data = pdu.subspan(header_size + parameter_length, data_length);
  return message;
}

std::string describe_header_error(std::uint8_t error_class, std::uint8_t error_code) {
  std::string text = "error class " + hex2(error_class) + " code " + hex2(error_code) + " (" +
                     std::string(error_class_text(error_class));
  if (const std::string_view detail = error_detail_text(error_class, error_code); !detail.empty())
    text += ": " + std::string(detail);
  return text + ")";
}

// ---- Setup Communication ----

Bytes build_setup_communication(std::uint16_t pdu_reference, const CommunicationSetup& requested) {
  Bytes pdu = start_job(pdu_reference);
  pdu.push_back(static_cast<std::uint8_t>(Function::setup_communication));
  pdu.push_back(0x00);  // reserved
  append_u16(pdu, requested.max_amq_calling);
  append_u16(pdu, requested.max_amq_called);
  append_u16(pdu, requested.pdu_size);
  finish_job(pdu, 8);
  return pdu;
}

Result<CommunicationSetup> parse_setup_communication_response(ByteView pdu, std::uint16_t pdu_reference) {
  auto message = parse_response_to(pdu, pdu_reference, Function::setup_communication, 8, "Setup Communication");
  if (!message) return message.error();
  const ByteView parameters = message->parameters;
  CommunicationSetup setup;
  setup.max_amq_calling = read_u16(parameters, 2);
  setup.max_amq_called = read_u16(parameters, 4);
  setup.pdu_size = read_u16(parameters, 6);
  if (setup.pdu_size == 0) return fail(ErrorCode::bad_response, "the PLC negotiated a PDU size of 0 bytes");
  if (setup.pdu_size < kSmallestUsablePduSize)
    return fail(ErrorCode::bad_response, "the PLC negotiated a PDU size of " + std::to_string(setup.pdu_size) +
                                             " bytes, too small for a Read Var request (at least " +
                                             std::to_string(kSmallestUsablePduSize) + " needed)");
  return setup;
}

// ---- Read Var ----

Bytes build_read_request(std::uint16_t pdu_reference, std::span<const PlannedItem> items) {
  Bytes pdu = start_job(pdu_reference);
  pdu.reserve(kReadRequestHeader + items.size() * kReadRequestItem);
  pdu.push_back(static_cast<std::uint8_t>(Function::read_var));
  pdu.push_back(static_cast<std::uint8_t>(items.size()));
  for (const PlannedItem& item : items) {
    const bool counted = item.transport == TransportSize::timer || item.transport == TransportSize::counter;
    // Byte addresses travel as bit addresses (byte * 8); timers and counters by their number.
    const std::uint32_t address = counted ? item.start : item.start * 8u;
    append_variable_specification(pdu, item.transport, item.count, item.db, item.area, address);
  }
  finish_job(pdu, pdu.size() - kRequestHeaderSize);
  return pdu;
}

Result<std::vector<ItemReading>> parse_read_response(ByteView pdu, std::uint16_t pdu_reference,
                                                     std::span<const PlannedItem> items) {
  auto message = parse_response_to(pdu, pdu_reference, Function::read_var, 2, "Read Var");
  if (!message) return message.error();
  const std::size_t item_count = message->parameters[1];
  if (item_count != items.size())
    return fail(ErrorCode::bad_response, "the PLC answered " + std::to_string(item_count) +
                                             " items to a Read Var request of " + std::to_string(items.size()));
  const ByteView data = message->data;
  std::vector<ItemReading> readings;
  readings.reserve(items.size());
  std::size_t at = 0;
  std::size_t last_length = 0;
  for (std::size_t index = 0; index < items.size(); ++index) {
    const PlannedItem& item = items[index];
    const std::string which = "item " + std::to_string(index + 1) + " (" + describe_item(item) + ")";
    if (at + 4 > data.size()) return fail(ErrorCode::bad_response, "the PLC's Read Var answer ends before " + which);
    ItemReading reading;
    reading.return_code = data[at];
    const std::uint8_t transport = data[at + 1];
    const std::size_t length_field = read_u16(data, at + 2);
    at += 4;
    last_length = 0;
    if (reading.return_code != kReturnCodeSuccess) {
      // A refused item carries no data, whatever its length field says.
      readings.push_back(reading);
      continue;
    }
    std::size_t length = 0;
    switch (transport) {
      case kDataBit:
      case kDataByte:
      case kDataInteger: length = (length_field + 7) / 8; break;
      case kDataDInteger:
      case kDataReal:
      case kDataOctetString: length = length_field; break;
      default:
        return fail(ErrorCode::bad_response,
                    "the PLC answered " + which + " with the unknown data transport size " + hex2(transport));
    }
    if (length != requested_bytes(item))
      return fail(ErrorCode::bad_response, "the PLC answered " + which + " with " + std::to_string(length) +
                                               " data bytes, " + std::to_string(requested_bytes(item)) +
                                               " were requested");
    if (at + length > data.size())
      return fail(ErrorCode::bad_response, "the PLC's Read Var answer announces " + std::to_string(length) +
                                               " bytes for " + which + " but holds " +
                                               std::to_string(data.size() - at));
    reading.data = data.subspan(at, length);
    at += length;
    last_length = length;
    // Items after the first start at an even offset: a fill byte follows odd-length data.
    if (length % 2 == 1 && index + 1 < items.size()) {
      if (at >= data.size())
        return fail(ErrorCode::bad_response, "the PLC's Read Var answer lacks the fill byte after " + which);
      ++at;
    }
    readings.push_back(reading);
  }
  // Some PLCs pad the last item too; anything else left over is an inconsistency.
  const std::size_t trailing = data.size() - at;
  if (trailing != 0 && !(trailing == 1 && last_length % 2 == 1))
    return fail(ErrorCode::bad_response,
                "the PLC's Read Var answer holds " + std::to_string(trailing) + " bytes after its last item");
  return readings;
}

// ---- Write Var ----

Bytes build_write_request(std::uint16_t pdu_reference, const Address& address, ByteView value) {
  Bytes pdu = start_job(pdu_reference);
  pdu.push_back(static_cast<std::uint8_t>(Function::write_var));
  pdu.push_back(1);  // one item
  std::uint8_t data_transport = kDataByte;
  std::size_t data_length = value.size() * 8;  // bits
  if (address.type == DataType::Bool) {
    append_variable_specification(pdu, TransportSize::bit, 1, address.db, address.area,
                                  address.offset * 8u + (address.bit & 0x07u));
    data_transport = kDataBit;
    data_length = 1;
  } else if (address.area == Area::timers || address.area == Area::counters) {
    const TransportSize transport = address.area == Area::timers ? TransportSize::timer : TransportSize::counter;
    append_variable_specification(pdu, transport, static_cast<std::uint16_t>(value.size() / 2), 0, address.area,
                                  address.offset);
    data_transport = kDataOctetString;
    data_length = value.size();  // bytes
  } else {
    append_variable_specification(pdu, TransportSize::byte, static_cast<std::uint16_t>(value.size()), address.db,
                                  address.area, address.offset * 8u);
  }
  const std::size_t parameter_length = pdu.size() - kRequestHeaderSize;
  pdu.push_back(0x00);  // return code: reserved in a request
  pdu.push_back(data_transport);
  append_u16(pdu, static_cast<std::uint16_t>(data_length));
  pdu.insert(pdu.end(), value.begin(), value.end());
  finish_job(pdu, parameter_length);
  return pdu;
}

Result<std::uint8_t> parse_write_response(ByteView pdu, std::uint16_t pdu_reference) {
  auto message = parse_response_to(pdu, pdu_reference, Function::write_var, 2, "Write Var");
  if (!message) return message.error();
  if (message->parameters[1] != 1)
    return fail(ErrorCode::bad_response,
                "the PLC answered " + std::to_string(message->parameters[1]) + " items to a Write Var request of 1");
  if (message->data.size() != 1)
    return fail(ErrorCode::bad_response, "the PLC answered the Write Var request with " +
                                             std::to_string(message->data.size()) +
                                             " data bytes instead of one return code");
  return message->data[0];
}

// ---- texts ----

std::string_view return_code_text(std::uint8_t return_code) noexcept {
  switch (return_code) {
    case 0xFF: return "success";
    case 0x00: return "reserved";
    case 0x01: return "hardware fault";
    case 0x03: return "access denied";
    case 0x05: return "address out of range";
    case 0x06: return "data type not supported";
    case 0x07: return "data type inconsistent";
    case 0x0A: return "object does not exist";
    default: return "unknown return code";
  }
}

std::string describe_return_code(std::uint8_t return_code) {
  return "PLC return code " + hex2(return_code) + " (" + std::string(return_code_text(return_code)) + ")";
}

std::string describe_refusal(std::uint8_t return_code, const Address& address) {
  std::string text = describe_return_code(return_code);
  if (address.area != Area::data_block || (return_code != 0x05 && return_code != 0x0A)) return text;
  const std::string db = "DB" + std::to_string(address.db);
  if (return_code == 0x05)
    text += ": " + db + " may be shorter than this address (its last byte is " +
            std::to_string(std::size_t{address.offset} + address.size() - 1) + "), or";
  else
    text += ": " + db + " does not exist in the PLC, or";
  return text +
         " it has \"Optimized block access\" on (S7-1200/1500): absolute addresses need it off in the "
         "DB's properties (Attributes), then download the DB";
}

std::string describe_item(const PlannedItem& item) {
  std::string text(area_prefix(item.area));
  if (item.area == Area::data_block) text += std::to_string(item.db);
  const bool counted = item.transport == TransportSize::timer || item.transport == TransportSize::counter;
  const std::size_t last = item.count == 0 ? item.start : item.start + item.count - 1u;
  text += counted ? " " : " bytes ";
  text += std::to_string(item.start) + ".." + std::to_string(last);
  return text;
}

}  // namespace logbot::agent::s7
