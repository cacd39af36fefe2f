// The read optimiser: turns a poll group's tags into as few Read Var PDUs as the negotiated
// PDU size allows. Tags of the same area (and data block) that are adjacent or close share
// one item (the merge gap giving the fewest PDUs is chosen, up to `max_gap` bytes); items are packed into PDUs under
// the request and the response size limits and the item limit; a range larger than one PDU's payload is split (at tag
// boundaries where possible, so a tag is read in one piece whenever it fits). Pure computation, no I/O.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "agent/s7/s7_address.hpp"

namespace logbot::agent::s7 {

// Read Var wire sizes (S7 header 10 bytes in a request, 12 in a response (error class/code)).
constexpr std::size_t kReadRequestHeader = 10 + 2;   // header + (function, item count)
constexpr std::size_t kReadRequestItem = 12;         // variable specification
constexpr std::size_t kReadResponseHeader = 12 + 2;  // header + (function, item count)
constexpr std::size_t kReadResponseItem = 4;         // return code, transport size, length; data padded to even

struct PduLimits {
  std::size_t pdu_size = 240;  // negotiated
  std::size_t max_items = 0;   // items per request; 0: only the sizes limit it
};

enum class TransportSize : std::uint8_t { bit = 0x01, byte = 0x02, counter = 0x1C, timer = 0x1D };

struct Slice {
  std::size_t tag = 0;          // index into the tag list given to plan_reads
  std::size_t tag_offset = 0;   // first byte of the tag's value this slice fills
  std::size_t item_offset = 0;  // where those bytes start in the item's data
  std::size_t length = 0;       // bytes
};

struct PlannedItem {
  Area area = Area::data_block;
  std::uint16_t db = 0;
  std::uint32_t start = 0;  // byte offset; timer/counter number for timers/counters
  std::uint16_t count = 0;  // bytes; elements (2 bytes each) for timers/counters
  TransportSize transport = TransportSize::byte;
  std::vector<Slice> slices;
  std::size_t data_bytes() const noexcept;  // count, or 2 * count for timers/counters
};

struct PlannedPdu {
  std::vector<PlannedItem> items;
  std::size_t request_bytes() const noexcept;
  std::size_t response_bytes() const noexcept;
};

struct ReadPlan {
  std::vector<PlannedPdu> pdus;  // one round trip each
  std::size_t bytes = 0;         // data bytes read, gaps included
  // minimum_read_pdus of these tags: no plan can use fewer PDUs.
  std::size_t minimum_pdus = 0;
};

ReadPlan plan_reads(std::span<const Address> tags, const PduLimits& limits, std::size_t max_gap);

// A true lower bound on the PDUs of any read plan for `tags` under `limits`: it charges the
// item limit and every item's 12 request and 4 response header bytes as well as the data, and
// the gaps a plan with few items must read (derivation in s7_plan_bound.cpp). 0 for no tags.
std::size_t minimum_read_pdus(std::span<const Address> tags, const PduLimits& limits);

}  // namespace logbot::agent::s7
