// Fuzzes the S7 address parser and what builds on an accepted address: the canonical text,
// the value codec and the read planner. Input: "address\0type", optionally "\0value text";
// bytes after the parsed texts feed decode_value.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "agent/s7/s7_address.hpp"
#include "agent/s7/s7_plan.hpp"
#include "agent/s7/s7_value.hpp"

namespace {

using namespace logbot::agent::s7;

std::string_view next_part(std::string_view& input) {
  const auto end = input.find('\0');
  const std::string_view part = input.substr(0, end);
  input = end == std::string_view::npos ? std::string_view{} : input.substr(end + 1);
  return part;
}

bool same(const Address& a, const Address& b) {
  return a.area == b.area && a.db == b.db && a.offset == b.offset && a.bit == b.bit && a.type == b.type &&
         a.string_length == b.string_length && a.array_length == b.array_length;
}

bool is_nan(const logbot::agent::collect::Value& value) {
  const auto* d = std::get_if<double>(&value);
  return d != nullptr && *d != *d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string_view address_text = next_part(input);
  const std::string_view type_text = next_part(input);
  const std::string_view value_text = next_part(input);

  auto parsed = parse_address(address_text, type_text);
  if (!parsed) {
    // The position points into "ADDRESS TYPE" and the message is never empty.
    if (parsed.error().message.empty()) __builtin_trap();
    if (parsed.error().position > address_text.size() + 1 + type_text.size()) __builtin_trap();
    return 0;
  }
  const Address address = *parsed;
  // The largest value: an array up to the end of its area's 64 KB, or a WSTRING[16382].
  if (address.bit > 7 || address.size() < 1 || address.size() > kAreaBytes) __builtin_trap();
  if (address.is_array() && address.offset + address.size() > kAreaBytes) __builtin_trap();
  if (address.area == Area::data_block && address.db == 0) __builtin_trap();

  // The canonical text parses back to the same address.
  const std::string canonical = to_string(address);
  const auto space = canonical.find(' ');
  auto again =
      parse_address(std::string_view(canonical).substr(0, space), std::string_view(canonical).substr(space + 1));
  if (!again || !same(*again, address)) __builtin_trap();

  // Decoding any bytes gives a value or an error; what decodes encodes and decodes the same.
  std::vector<std::uint8_t> bytes(address.size(), 0);
  for (std::size_t i = 0; i < bytes.size() && i < input.size(); ++i) bytes[i] = static_cast<std::uint8_t>(input[i]);
  // (Arrays are not written yet: encode_value refuses them.)
  if (auto value = decode_value(address, bytes);
      value && address.type != DataType::Bool && !is_nan(*value) && !address.is_array()) {
    auto encoded = encode_value(address, *value);
    if (!encoded || encoded->size() != address.size()) __builtin_trap();
    auto decoded = decode_value(address, *encoded);
    if (!decoded || *decoded != *value) __builtin_trap();
  }
  if (address.is_array() && (parse_value_text(address, value_text) || encode_value(address, std::int64_t{0})))
    __builtin_trap();
  if (auto value = parse_value_text(address, value_text)) {
    auto encoded = encode_value(address, *value);
    if (!encoded || encoded->size() != address.size()) __builtin_trap();
  }

  // A plan for the one tag covers it and keeps to the smallest PDU.
  const PduLimits limits{240, 0};
  const ReadPlan plan = plan_reads(std::span<const Address>(&address, 1), limits, 0);
  std::size_t covered = 0;
  for (const PlannedPdu& pdu : plan.pdus) {
    if (pdu.request_bytes() > limits.pdu_size || pdu.response_bytes() > limits.pdu_size) __builtin_trap();
    for (const PlannedItem& item : pdu.items)
      for (const Slice& slice : item.slices) covered += slice.length;
  }
  if (covered != address.size()) __builtin_trap();
  return 0;
}
