// Lessons from refused Modbus requests: see modbus_refusals.hpp.
#include "agent/modbus/modbus_refusals.hpp"

#include <algorithm>
#include <limits>
#include <numeric>

namespace logbot::agent::modbus {

bool exception_splits(unsigned code) noexcept {
  return code == 1 || code == 2 || code == 3;
}

ReadRequest request_for(std::span<const Address> tags, std::span<const std::size_t> members,
                        std::vector<std::size_t>& offsets) {
  ReadRequest request;
  offsets.clear();
  if (members.empty()) return request;
  std::size_t start = std::numeric_limits<std::size_t>::max();
  std::size_t end = 0;
  for (const std::size_t m : members) {
    start = std::min<std::size_t>(start, tags[m].offset);
    end = std::max(end, std::size_t{tags[m].offset} + tags[m].count());
  }
  request.table = tags[members.front()].table;
  request.start = static_cast<std::uint16_t>(start);
  request.count = static_cast<std::uint16_t>(end - start);
  request.tags.assign(members.begin(), members.end());
  for (const std::size_t m : members) offsets.push_back(tags[m].offset - start);
  return request;
}

std::optional<Split> split_request(std::span<const Address> tags, std::span<const std::size_t> members) {
  std::vector<std::size_t> sorted(members.begin(), members.end());
  std::sort(sorted.begin(), sorted.end(), [&](std::size_t a, std::size_t b) {
    if (tags[a].offset != tags[b].offset) return tags[a].offset < tags[b].offset;
    return a < b;
  });
  // Candidate cuts: before sorted[i] when it starts at or after the end of everything before it.
  std::size_t best = 0;  // index into sorted; 0: none
  std::size_t best_gap = 0;
  std::size_t best_distance = 0;
  std::size_t end = 0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const Address& tag = tags[sorted[i]];
    if (i > 0 && tag.offset >= end) {
      const std::size_t gap = tag.offset - end;
      const std::size_t middle = sorted.size() / 2;
      const std::size_t distance = i > middle ? i - middle : middle - i;
      if (best == 0 || gap > best_gap || (gap == best_gap && distance < best_distance)) {
        best = i;
        best_gap = gap;
        best_distance = distance;
      }
    }
    end = std::max(end, std::size_t{tag.offset} + tag.count());
  }
  if (best == 0) return std::nullopt;
  Split split;
  split.first.assign(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(best));
  split.second.assign(sorted.begin() + static_cast<std::ptrdiff_t>(best), sorted.end());
  split.cut = tags[sorted[best]].offset;
  return split;
}

ReadPlan plan_with_lessons(std::span<const Address> tags, std::span<const unsigned> skip, const PlanLimits& limits,
                           std::span<const Cut> cuts) {
  std::vector<std::size_t> read;
  for (std::size_t i = 0; i < tags.size(); ++i)
    if (i >= skip.size() || skip[i] == 0) read.push_back(i);
  if (read.size() == tags.size()) return plan_reads(tags, limits, cuts);
  std::vector<Address> subset;
  subset.reserve(read.size());
  for (const std::size_t i : read) subset.push_back(tags[i]);
  ReadPlan partial = plan_reads(subset, limits, cuts);
  ReadPlan plan;
  plan.bytes = partial.bytes;
  plan.requests = std::move(partial.requests);
  for (ReadRequest& request : plan.requests)
    for (std::size_t& tag : request.tags) tag = read[tag];
  plan.placements.assign(tags.size(), TagPlacement{std::numeric_limits<std::size_t>::max(), 0});
  for (std::size_t k = 0; k < read.size(); ++k) plan.placements[read[k]] = partial.placements[k];
  return plan;
}

std::string describe_refusal(unsigned code, unsigned unit_id) {
  std::string text = describe_exception(code);
  if (code == 10 || code == 11)
    text += "; check unit_id (" + std::to_string(unit_id) +
            "): a gateway answers so when no device with that unit id answers behind it";
  return text;
}

std::string describe_silence(long long timeout_ms, unsigned unit_id) {
  return "no answer within " + std::to_string(timeout_ms) + " ms although the TCP connection stands; check unit_id (" +
         std::to_string(unit_id) + "): many devices and gateways stay silent for a unit id that is not theirs";
}

}  // namespace logbot::agent::modbus
