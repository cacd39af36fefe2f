// What the S7 driver learns from items the PLC refuses, and the plans that follow from it.
// Pure computation, no I/O: the driver (agent/s7/s7_driver.cpp) sends the plans.
//
// A CPU refuses a whole item when any byte of it is unreadable (an item reaching past the end
// of a data block answers 0x05 "address out of range"), so a tag merged with a bad one would
// read bad as well. In the cycle an item holding more than one tag is refused, its tags are
// read again one span per item (tags covering exactly the same bytes share one) — bounded: at
// most one extra item per tag of the refused items, packed into as few PDUs as the limits
// allow — so exactly the bad tags end bad. Then the plan is remade from the lessons:
//   skip  — the tag alone was refused for a reason of the PLC's configuration (0x03, 0x05,
//           0x06, 0x07, 0x0A): it is not read any more, and reads bad with that return code;
//   alone — the tag is read in an item of its own: its item was refused for another reason,
//           or every tag of a refused item read well alone (the merge itself was refused);
//   merge — as plan_reads would.
// The driver forgets the lessons on every (re)connect and after kRelearnInterval, since a data
// block can be downloaded again with another length (docs/adr/0010-refused-items.md).
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "agent/s7/s7_address.hpp"
#include "agent/s7/s7_plan.hpp"

namespace logbot::agent::s7 {

// How long lessons are kept on one connection before the full plan is tried again.
constexpr std::chrono::minutes kRelearnInterval{1};

enum class Lesson : std::uint8_t { merge, alone, skip };

struct TagLesson {
  Lesson lesson = Lesson::merge;
  std::uint8_t return_code = 0;  // skip: the PLC's return code for the tag read alone
  bool operator==(const TagLesson&) const = default;
};

// The return codes that name the PLC's configuration (the address, the block, its type or
// protection) rather than a passing state: a tag refused with one of them is not read again.
bool refusal_is_lasting(std::uint8_t return_code) noexcept;

// Return codes of an answered plan: codes[p][i] for item i of PDU p.
using ItemCodes = std::vector<std::vector<std::uint8_t>>;

// plan_reads for the tags whose lesson is merge, plus an item for each span of the tags whose
// lesson is alone, packed into the same PDUs where they fit; tags to skip are not read.
// lessons.size() == tags.size(); slices name indexes into `tags`.
ReadPlan plan_with_lessons(std::span<const Address> tags, std::span<const TagLesson> lessons, const PduLimits& limits,
                           std::size_t max_gap);

// The retry of the refused items of `plan` that hold more than one span: one span per item
// (a span longer than one item's payload in several). Empty when nothing needs it. Slices name
// indexes into `tags`.
ReadPlan plan_retry(std::span<const Address> tags, const ReadPlan& plan, const ItemCodes& codes,
                    const PduLimits& limits);

// Updates `lessons` (one per tag) from a cycle's answers: `codes` answer `plan`, `retry_codes`
// answer `retry` (plan_retry of the same). True when a lesson changed.
bool learn(std::vector<TagLesson>& lessons, std::span<const Address> tags, const ReadPlan& plan, const ItemCodes& codes,
           const ReadPlan& retry, const ItemCodes& retry_codes);

}  // namespace logbot::agent::s7
