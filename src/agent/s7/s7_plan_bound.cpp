// The lower bound on the Read Var PDUs (round trips) of ANY read plan for a tag set, the
// "minimum" the agent prints next to the round trips it used. It must be a true bound, so it
// charges everything every plan pays and nothing a plan could avoid:
//
//   A plan of N PDUs holding K items in total, reading D data bytes in total, satisfies
//     (1) K <= N * k_max, where k_max = min(max_items, (pdu - 12) / 12, 255): a request carries
//         a 12-byte header and 12 bytes per item, and its item count is one byte;
//     (2) D + 4 K <= N * (pdu - 14): a response carries a 14-byte header and, per item, a
//         4-byte header and the data (fill bytes after odd-length data are ignored: they only add).
//   D depends on K. Let the tags' bytes form S segments (maximal runs of needed bytes; tags that
//   overlap or touch join) in A groups (area, and data block for DBs), B bytes in all, with the
//   S - A gaps between consecutive segments of one group. K items are K byte ranges; their union
//   has at most K pieces, each within one group, so at most K - A gaps lie outside every item
//   and the others are read: D >= B + (all gaps) - (the K - A largest gaps) =: D_min(K), and
//   K >= A. Also K >= K_min, the fewest ranges of at most one item's payload (pdu - 18 bytes)
//   that cover the needed bytes (greedy, left to right, is optimal for that): a long segment
//   needs several items, and a group wider than the payload at least two.
//   So N >= min over K >= K_min of max(ceil(K / k_max), ceil((D_min(K) + 4 K) / (pdu - 14))),
//   and K beyond max(K_min, S) only adds item headers: the minimum is found among
//   K_min .. max(K_min, S).
//
// For the bench's 1,000 scattered tags (DB1..DB20, 2,000 bytes each) at PDU 960 and 20 items
// per request this is 17: reading fewer gaps costs items, reading more costs bytes, and the
// two limits meet at about 17 PDUs. The bytes alone (B / (pdu - 18)) would say 3.
#include <algorithm>
#include <tuple>
#include <vector>

#include "agent/s7/s7_plan.hpp"

namespace logbot::agent::s7 {
namespace {

// As plan_reads: a PDU smaller than one request item is treated as that small PDU, and a
// request carries at most 255 items (its item count is one byte).
constexpr std::size_t kBoundSmallestPdu = kReadRequestHeader + kReadRequestItem;
constexpr std::size_t kBoundItemsOnTheWire = 255;

struct BoundSpan {
  int area;
  std::uint16_t db;
  std::size_t begin;
  std::size_t end;
};

std::size_t divide_up(std::size_t value, std::size_t by) {
  return (value + by - 1) / by;
}

}  // namespace

std::size_t minimum_read_pdus(std::span<const Address> tags, const PduLimits& limits) {
  if (tags.empty()) return 0;
  const std::size_t pdu_size = std::max(limits.pdu_size, kBoundSmallestPdu);
  const std::size_t max_items =
      limits.max_items == 0 ? kBoundItemsOnTheWire : std::min(limits.max_items, kBoundItemsOnTheWire);
  const std::size_t items_per_pdu = std::min(max_items, (pdu_size - kReadRequestHeader) / kReadRequestItem);
  const std::size_t response_room = pdu_size - kReadResponseHeader;
  const std::size_t payload = response_room - kReadResponseItem;

  // Each tag as a byte span of its group (timers and counters: element n is bytes 2n..2n+1).
  std::vector<BoundSpan> spans;
  spans.reserve(tags.size());
  for (const Address& a : tags) {
    const bool elements = a.area == Area::timers || a.area == Area::counters;
    const std::size_t begin = elements ? std::size_t{a.offset} * 2 : std::size_t{a.offset};
    spans.push_back({static_cast<int>(a.area), a.area == Area::data_block ? a.db : std::uint16_t{0}, begin,
                     begin + (elements ? 2 : a.size())});
  }
  std::sort(spans.begin(), spans.end(), [](const BoundSpan& x, const BoundSpan& y) {
    return std::tie(x.area, x.db, x.begin, x.end) < std::tie(y.area, y.db, y.begin, y.end);
  });

  // Segments, the gaps between them, and the fewest items that cover them (K_min).
  std::size_t bytes = 0, segments = 0, groups = 0, fewest_items = 0, all_gaps = 0;
  std::vector<std::size_t> gaps;
  std::size_t covered_end = 0;  // end of the last greedy item of the current group (0: none yet)
  auto cover = [&](std::size_t begin, std::size_t end) {
    if (begin >= covered_end) {
      ++fewest_items;
      covered_end = begin + payload;
    }
    while (covered_end < end) {
      ++fewest_items;
      covered_end += payload;
    }
  };
  bool open = false;
  BoundSpan segment{};
  for (const BoundSpan& s : spans) {
    const bool same_group = open && s.area == segment.area && s.db == segment.db;
    if (same_group && s.begin <= segment.end) {
      segment.end = std::max(segment.end, s.end);
      continue;
    }
    if (open) {
      bytes += segment.end - segment.begin;
      cover(segment.begin, segment.end);
    }
    if (same_group) {
      gaps.push_back(s.begin - segment.end);
      all_gaps += gaps.back();
    } else {
      ++groups;
      covered_end = 0;  // an item never spans two groups
    }
    ++segments;
    segment = s;
    open = true;
  }
  bytes += segment.end - segment.begin;
  cover(segment.begin, segment.end);

  // D_min(K) = bytes + all gaps - the (K - groups) largest gaps.
  std::sort(gaps.begin(), gaps.end(), std::greater<>());
  const std::size_t first = std::max(fewest_items, groups);
  const std::size_t last = std::max(first, segments);
  std::size_t skipped = 0;  // sum of the (K - groups) largest gaps
  for (std::size_t k = groups; k < first && k - groups < gaps.size(); ++k) skipped += gaps[k - groups];
  std::size_t best = 0;
  for (std::size_t k = first; k <= last; ++k) {
    if (k > first && k - groups - 1 < gaps.size()) skipped += gaps[k - groups - 1];
    const std::size_t data = bytes + all_gaps - skipped;
    const std::size_t pdus =
        std::max(divide_up(k, items_per_pdu), divide_up(data + kReadResponseItem * k, response_room));
    if (best == 0 || pdus < best) best = pdus;
  }
  return best;
}

}  // namespace logbot::agent::s7
