// Fuzzes what the agent makes of a Modbus device's answers: the register words a read returns
// (decoded for each tag in its type and byte order), the exception code of a refused request
// (its text, whether it splits the request) and the splitting of a refused request, over tags
// whose addresses come from the input too. libmodbus checks the frames (MBAP header, function,
// byte count); everything after it is ours.
//
// Input: up to 16 lines "ADDRESS TYPE ORDER" (TYPE and ORDER optional), then a NUL, then the
// answer: one exception-code byte, one unit-id byte, then register words, high byte first.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "agent/modbus/modbus_codec.hpp"
#include "agent/modbus/modbus_refusals.hpp"

// A broken invariant names itself before the fuzzer's crash report.
#define REQUIRE(condition)                                                                \
  do {                                                                                    \
    if (!(condition)) {                                                                   \
      std::fprintf(stderr, "modbus_response_fuzz: %s (line %d)\n", #condition, __LINE__); \
      __builtin_trap();                                                                   \
    }                                                                                     \
  } while (false)

namespace {

using namespace logbot::agent;
using namespace logbot::agent::modbus;

std::string_view word(std::string_view& line) {
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  const auto end = line.find(' ');
  const std::string_view part = line.substr(0, end);
  line.remove_prefix(end == std::string_view::npos ? line.size() : end);
  return part;
}

// An error's sentence (modbus::Error or collect::Error, whichever the codec returns).
template <class E>
const std::string& message_of(const E& error) {
  return error.message;
}

// NaN and the infinities decode (as the device sends them) but are not written.
bool is_finite(const collect::Value& value) {
  const auto* number = std::get_if<double>(&value);
  return number == nullptr || std::isfinite(*number);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  std::string_view text = input.substr(0, nul);
  const std::string_view answer = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);

  std::vector<Address> tags;
  while (!text.empty() && tags.size() < 16) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    const std::string_view address = word(line);
    const std::string_view type = word(line);
    const std::string_view order = word(line);
    auto parsed = parse_address(address, type, order);
    if (!parsed) {
      REQUIRE(!message_of(parsed.error()).empty());
      continue;
    }
    REQUIRE(parsed->count() >= 1 && parsed->count() <= 4 && parsed->offset + parsed->count() - 1 <= 65535u);
    tags.push_back(*parsed);
  }

  const unsigned exception = answer.empty() ? 0u : static_cast<std::uint8_t>(answer[0]);
  const unsigned unit_id = answer.size() < 2 ? 1u : static_cast<std::uint8_t>(answer[1]);
  std::vector<std::uint16_t> words;
  for (std::size_t at = 2; at + 1 < answer.size(); at += 2)
    words.push_back(static_cast<std::uint16_t>((static_cast<std::uint8_t>(answer[at]) << 8) |
                                               static_cast<std::uint8_t>(answer[at + 1])));

  // Every text the answer produces names something.
  REQUIRE(!describe_exception(exception).empty() && !describe_refusal(exception, unit_id).empty());
  (void)exception_splits(exception);

  // Each register tag decodes from the answer's words; what decodes encodes back to the same
  // words (a register bit keeps only its own bit; NaN and infinities are not written).
  std::size_t at = 0;
  for (const Address& tag : tags) {
    if (is_bit_table(tag.table)) continue;
    const std::size_t count = tag.count();
    if (at + count > words.size()) break;
    const std::span<const std::uint16_t> registers(words.data() + at, count);
    at += count;
    auto value = decode_registers(tag, registers);
    if (!value) {
      REQUIRE(!message_of(value.error()).empty());
      continue;
    }
    if (tag.bit >= 0 || !is_finite(*value)) continue;
    auto encoded = encode_value(tag, *value);
    REQUIRE(encoded && encoded->size() == count);
    for (std::size_t i = 0; i < count; ++i) REQUIRE((*encoded)[i] == registers[i]);
  }

  // A plan covers every tag within its request and the limits; a refused request splits into
  // two non-empty halves that hold exactly its tags.
  PlanLimits limits;
  limits.max_registers = words.empty() ? kMaxReadRegisters : 1 + words.front() % kMaxReadRegisters;
  limits.max_gap = words.size() < 2 ? 0 : words[1] % 64;
  const ReadPlan plan = plan_reads(tags, limits);
  REQUIRE(plan.placements.size() == tags.size());
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const TagPlacement& placement = plan.placements[i];
    REQUIRE(placement.request < plan.requests.size());
    const ReadRequest& request = plan.requests[placement.request];
    REQUIRE(request.table == tags[i].table);
    REQUIRE(tags[i].offset == request.start + placement.offset);
    REQUIRE(placement.offset + tags[i].count() <= request.count);
  }
  for (const ReadRequest& request : plan.requests) {
    const std::size_t limit = is_bit_table(request.table) ? kMaxReadBits : limits.max_registers;
    REQUIRE(request.count <= limit || request.count <= 4);
    if (request.tags.size() < 2) continue;
    if (auto split = split_request(tags, request.tags)) {
      REQUIRE(!split->first.empty() && !split->second.empty());
      REQUIRE(split->first.size() + split->second.size() == request.tags.size());
      for (std::size_t tag : split->second) REQUIRE(tags[tag].offset >= split->cut);
    }
  }
  return 0;
}
