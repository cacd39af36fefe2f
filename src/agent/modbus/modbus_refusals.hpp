// What the Modbus driver learns from requests a device refuses with an exception, and the
// requests that follow from it. Pure computation, no I/O: agent/modbus/modbus_driver.cpp sends them.
//
// A device answers a whole request with one exception: a coalesced request reaching one
// register the device does not have (exception 2, illegal data address) would make every tag
// in it bad. When a request holding more than one tag is refused with an exception that names
// the device's register map or its limits (1, 2, 3), it is split in two at the widest gap
// between its tags and both halves are read; a refused half is split again, until a refused
// part holds tags that overlap (they cannot be separated) — bounded: a request of n separable
// tags costs at most 2(n - 1) further requests, once. Then:
//   - the tags of such a refused part are not read any more and read bad with its exception;
//   - where a refused part had no bad tag at all (the device refuses reading across a hole in
//     its map, or more registers at once than it can), the split becomes a cut: no request
//     reads across it again.
// The driver forgets the lessons after a lost connection and after kRelearnInterval, since a
// device's map can change (docs/adr/0010-refused-items.md).
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agent/modbus/modbus_codec.hpp"

namespace logbot::agent::modbus {

constexpr std::chrono::minutes kRelearnInterval{1};

// Exceptions 1 (illegal function), 2 (illegal data address) and 3 (illegal data value): they
// name the device's map or limits, so a split request may succeed. Others (a busy or failing
// device, a gateway) are not split: more requests would not help.
bool exception_splits(unsigned code) noexcept;

// One request reading tags[members] (one table): the smallest range covering them, in address
// order. `offsets` gets each member's first element within it (same order as `members`).
ReadRequest request_for(std::span<const Address> tags, std::span<const std::size_t> members,
                        std::vector<std::size_t>& offsets);

struct Split {
  std::vector<std::size_t> first;  // tags before the cut
  std::vector<std::size_t> second;
  std::uint16_t cut = 0;  // the first element of `second`
};

// The two halves of a refused request, cut at the widest gap between its tags (ties: nearest
// the middle); nothing when the tags overlap into one block and cannot be separated.
std::optional<Split> split_request(std::span<const Address> tags, std::span<const std::size_t> members);

// plan_reads for the tags whose `skip` entry is 0 (the others are not read; their placement
// names request SIZE_MAX). skip.size() == tags.size().
ReadPlan plan_with_lessons(std::span<const Address> tags, std::span<const unsigned> skip, const PlanLimits& limits,
                           std::span<const Cut> cuts = {});

// ---- texts ----

// A tag's status for exception `code`: describe_exception, and for 10/11 (what a gateway
// answers when nothing answers behind it) a hint to check the unit id.
std::string describe_refusal(unsigned code, unsigned unit_id);
// A request that got no answer on a TCP connection that stands: the device ignores the unit id.
std::string describe_silence(long long timeout_ms, unsigned unit_id);

}  // namespace logbot::agent::modbus
