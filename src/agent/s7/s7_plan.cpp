// The read optimiser. Four steps, each deterministic (every sort has a total order):
//   1. every tag becomes a byte span in its area (timers and counters: element n is bytes
//      2n..2n+1), overlapping spans (bits of one byte, a word inside a string) join into one
//      "piece", the unit that is never cut unless it alone exceeds one PDU's payload;
//   2. pieces of one (area, data block) at most max_gap bytes apart join into runs of at most
//      one PDU's payload each (left to right, cutting between pieces);
//   3. runs are packed into PDUs twice, first-fit decreasing and by a balanced fill (see
//      Packer), and the plan with fewer PDUs is kept; in both, a run that fits no PDU whole is
//      cut at a piece boundary to fill a PDU, and its tail is placed the same way;
//      steps 2 and 3 are repeated for merge gaps 0, 1, 2, 4, ... up to max_gap, then in eighths
//      around the best of those, and the plan with the fewest PDUs wins;
//   4. each PDU's items are ordered by address with an odd-length item last (it needs no pad).
//
// Wire layout the arithmetic follows (S7comm Read Var, every size in bytes):
//   request:  S7 header 10 | function 0x04, item count 1+1 | per item 12: 0x12, 0x0A, syntax id
//             0x10, transport size 1, count 2, DB number 2, area 1, bit address 3
//             -> kReadRequestHeader + kReadRequestItem * n
//   response: S7 header 12 (with error class and code) | function 0x04, item count 1+1 | per
//             item: return code 1, transport size 1, length 2, data, and one fill byte after
//             odd-length data unless the item is the last -> kReadResponseHeader + sum(4 + data + pad)
// So one item carries at most pdu_size - 14 - 4 data bytes.
#include "agent/s7/s7_plan.hpp"

#include <algorithm>
#include <tuple>

namespace logbot::agent::s7 {
namespace {

// The smallest PDU that carries one item either way (a request with one item; a response with
// two data bytes needs 20). PLCs negotiate 240 or more; this only keeps the arithmetic sound
// for any input.
constexpr std::size_t kSmallestPduSize = kReadRequestHeader + kReadRequestItem;
// The item count of a request is one byte.
constexpr std::size_t kMaxItemsOnTheWire = 255;

bool element_area(Area area) noexcept {
  return area == Area::timers || area == Area::counters;
}
std::size_t padded(std::size_t data) noexcept {
  return data + (data & 1);
}

// Part of one tag inside a piece; `position` is the absolute byte in the area.
struct TagPart {
  std::size_t tag;
  std::size_t tag_offset;
  std::size_t position;
  std::size_t length;
};

struct Piece {
  std::size_t begin = 0;  // bytes in the area (timers/counters: 2 * element number)
  std::size_t end = 0;
  std::vector<TagPart> parts;
};

// A candidate item: consecutive pieces of one area and data block.
struct Run {
  Area area = Area::data_block;
  std::uint16_t db = 0;
  std::vector<Piece> pieces;
  std::size_t begin() const noexcept { return pieces.front().begin; }
  std::size_t end() const noexcept { return pieces.back().end; }
  std::size_t data() const noexcept { return end() - begin(); }
};

struct TagSpan {
  std::size_t tag;
  Area area;
  std::uint16_t db;
  std::size_t begin;
  std::size_t end;
};

auto span_key(const TagSpan& s) {
  return std::tuple(static_cast<int>(s.area), s.db, s.begin, s.end, s.tag);
}
auto run_key(const Run& r) {
  return std::tuple(static_cast<int>(r.area), r.db, r.begin());
}

// Step 1: overlapping spans of one area become one piece; a piece above `payload` bytes (a
// long string, a large array) is cut into consecutive slices of at most `payload` bytes. A cut
// inside an array falls on an element boundary: the slices are read by different requests,
// and a REAL whose halves came from two moments would be a value the PLC never held.
struct AreaPieces {
  Area area;
  std::uint16_t db;
  std::vector<Piece> pieces;
};

std::vector<AreaPieces> make_pieces(std::span<const Address> tags, std::size_t payload) {
  std::vector<TagSpan> spans;
  spans.reserve(tags.size());
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const Address& a = tags[i];
    const bool elements = element_area(a.area);
    const std::size_t begin = elements ? std::size_t{a.offset} * 2 : std::size_t{a.offset};
    const std::size_t size = elements ? 2 : a.size();
    spans.push_back({i, a.area, a.area == Area::data_block ? a.db : std::uint16_t{0}, begin, begin + size});
  }
  std::sort(spans.begin(), spans.end(), [](const TagSpan& x, const TagSpan& y) { return span_key(x) < span_key(y); });

  std::vector<AreaPieces> areas;
  std::vector<TagSpan> cluster;
  auto flush = [&] {
    if (cluster.empty()) return;
    const std::size_t begin = cluster.front().begin;
    std::size_t end = begin;
    for (const TagSpan& s : cluster) end = std::max(end, s.end);
    if (areas.empty() || areas.back().area != cluster.front().area || areas.back().db != cluster.front().db)
      areas.push_back({cluster.front().area, cluster.front().db, {}});
    // The largest array of the cluster (if any) decides where cuts may fall.
    const TagSpan* array = nullptr;
    for (const TagSpan& s : cluster)
      if (tags[s.tag].is_array() && tags[s.tag].type != DataType::Bool &&
          (array == nullptr || s.end - s.begin > array->end - array->begin))
        array = &s;
    for (std::size_t slice = begin, next = 0; slice < end; slice = next) {
      next = std::min(end, slice + payload);
      if (array != nullptr && next > array->begin && next < array->end) {
        const std::size_t into_element = (next - array->begin) % tags[array->tag].element_size();
        if (next - into_element > slice) next -= into_element;  // else an element exceeds a PDU: cut anyway
      }
      Piece piece{slice, next, {}};
      for (const TagSpan& s : cluster) {
        const std::size_t from = std::max(s.begin, piece.begin), to = std::min(s.end, piece.end);
        if (from < to) piece.parts.push_back({s.tag, from - s.begin, from, to - from});
      }
      areas.back().pieces.push_back(std::move(piece));
    }
    cluster.clear();
  };
  std::size_t cluster_end = 0;
  for (const TagSpan& s : spans) {
    const bool same_area = !cluster.empty() && cluster.front().area == s.area && cluster.front().db == s.db;
    if (!same_area || s.begin >= cluster_end) {
      flush();
      cluster_end = s.end;
    }
    cluster.push_back(s);
    cluster_end = std::max(cluster_end, s.end);
  }
  flush();
  return areas;
}

// Step 2: pieces at most max_gap bytes apart share a run while the run fits one item.
std::vector<Run> make_runs(const std::vector<AreaPieces>& areas, std::size_t max_gap, std::size_t payload) {
  std::vector<Run> runs;
  for (const AreaPieces& area : areas) {
    for (const Piece& piece : area.pieces) {
      const bool joins = !runs.empty() && runs.back().area == area.area && runs.back().db == area.db &&
                         piece.begin - runs.back().end() <= max_gap && piece.end - runs.back().begin() <= payload;
      if (!joins) runs.push_back({area.area, area.db, {}});
      runs.back().pieces.push_back(piece);
    }
  }
  return runs;
}

// A PDU being filled; `padded_sum` is sum(4 + data rounded up to even) over its items.
struct OpenPdu {
  std::vector<Run> runs;
  std::size_t padded_sum = 0;
  bool any_odd = false;
};

std::size_t response_cost(const Run& run) noexcept {
  return kReadResponseItem + padded(run.data());
}

// Runs by size, largest first; ties by address, so the plan never depends on input order.
bool larger_first(const Run& x, const Run& y) {
  if (x.data() != y.data()) return x.data() > y.data();
  return run_key(x) < run_key(y);
}

// Moves the first `pieces` pieces of `run` into a run of their own.
Run cut_head(Run& run, std::size_t pieces) {
  Run head{run.area, run.db, {}};
  const auto cut = run.pieces.begin() + static_cast<std::ptrdiff_t>(pieces);
  head.pieces.assign(std::make_move_iterator(run.pieces.begin()), std::make_move_iterator(cut));
  run.pieces.erase(run.pieces.begin(), cut);
  return head;
}

class Packer {
 public:
  Packer(std::size_t pdu_size, std::size_t max_items) : pdu_size_(pdu_size), max_items_(max_items) {}

  // Would one more item with `data` bytes keep the PDU within every limit? (Monotone in
  // `data`: a larger item never fits where a smaller one does not.)
  bool fits(const OpenPdu& pdu, std::size_t data) const noexcept {
    const std::size_t items = pdu.runs.size() + 1;
    if (items > max_items_) return false;
    if (kReadRequestHeader + kReadRequestItem * items > pdu_size_) return false;
    // The odd item placed last saves its fill byte.
    const bool odd_saved = pdu.any_odd || (data & 1) != 0;
    const std::size_t response =
        kReadResponseHeader + pdu.padded_sum + kReadResponseItem + padded(data) - (odd_saved ? 1 : 0);
    return response <= pdu_size_;
  }

  // How many leading pieces of `run` fit `pdu` as one item (0: not even the first).
  std::size_t head_pieces(const OpenPdu& pdu, const Run& run) const noexcept {
    std::size_t pieces = 0;
    while (pieces < run.pieces.size() && fits(pdu, run.pieces[pieces].end - run.begin())) ++pieces;
    return pieces;
  }

  // First-fit decreasing: each run (largest first) goes into the first PDU it fits. A run no
  // PDU takes whole fills the PDU with the longest head of it, and its tail is placed the
  // same way. Near-optimal when the response size is what limits the PDUs.
  std::vector<OpenPdu> first_fit_decreasing(std::vector<Run> runs) const {
    std::vector<OpenPdu> pdus;
    for (Run& run : runs) {
      // Bounded: every pass places the run or moves at least one of its pieces into a PDU.
      while (true) {
        auto whole = std::find_if(pdus.begin(), pdus.end(), [&](const OpenPdu& pdu) { return fits(pdu, run.data()); });
        if (whole != pdus.end()) {
          add(*whole, std::move(run));
          break;
        }
        std::size_t best_pdu = 0, best_pieces = 0;
        for (std::size_t p = 0; p < pdus.size(); ++p) {
          const std::size_t pieces = head_pieces(pdus[p], run);
          if (pieces > best_pieces) {
            best_pieces = pieces;
            best_pdu = p;
          }
        }
        if (best_pieces == 0) {
          add(pdus.emplace_back(), std::move(run));
          break;
        }
        add(pdus[best_pdu], cut_head(run, best_pieces));
      }
    }
    return pdus;
  }

  // One PDU at a time, keeping each PDU's bytes per item near the average of what is left:
  // a large item is followed by small ones and vice versa. When the request's item limit is
  // what binds (many small scattered items), first-fit decreasing fills the first PDUs with
  // large items up to the response size and the last ones with small items up to the item
  // limit, wasting capacity in both; mixing uses both limits at once. When no whole run fits,
  // the run with the longest head that fits fills the PDU.
  std::vector<OpenPdu> balanced_fill(std::vector<Run> runs) const {
    std::vector<OpenPdu> pdus;
    std::size_t remaining_cost = 0;
    for (const Run& run : runs) remaining_cost += response_cost(run);
    // Bounded: every inner pass removes a run or moves at least one piece into the PDU, or ends
    // the PDU; an empty PDU takes any run (no run exceeds one item's payload).
    while (!runs.empty()) {
      OpenPdu& pdu = pdus.emplace_back();
      while (!runs.empty()) {
        // pdu.padded_sum / items > remaining_cost / runs, without division.
        const bool heavy = !pdu.runs.empty() && pdu.padded_sum * runs.size() > remaining_cost * pdu.runs.size();
        std::size_t pick = runs.size();
        if (heavy) {
          if (fits(pdu, runs.back().data())) pick = runs.size() - 1;
        } else {
          for (std::size_t i = 0; i < runs.size() && pick == runs.size(); ++i)
            if (fits(pdu, runs[i].data())) pick = i;
        }
        if (pick != runs.size()) {
          remaining_cost -= response_cost(runs[pick]);
          add(pdu, std::move(runs[pick]));
          runs.erase(runs.begin() + static_cast<std::ptrdiff_t>(pick));
          continue;
        }
        std::size_t best_run = 0, best_pieces = 0, best_data = 0;
        for (std::size_t i = 0; i < runs.size(); ++i) {
          const std::size_t pieces = head_pieces(pdu, runs[i]);
          const std::size_t data = pieces == 0 ? 0 : runs[i].pieces[pieces - 1].end - runs[i].begin();
          if (data > best_data) {
            best_run = i;
            best_pieces = pieces;
            best_data = data;
          }
        }
        if (best_pieces == 0) break;
        Run tail = std::move(runs[best_run]);
        runs.erase(runs.begin() + static_cast<std::ptrdiff_t>(best_run));
        remaining_cost -= response_cost(tail);
        add(pdu, cut_head(tail, best_pieces));
        remaining_cost += response_cost(tail);
        runs.insert(std::upper_bound(runs.begin(), runs.end(), tail, larger_first), std::move(tail));
      }
    }
    return pdus;
  }

 private:
  static void add(OpenPdu& pdu, Run run) {
    pdu.padded_sum += response_cost(run);
    pdu.any_odd = pdu.any_odd || (run.data() & 1) != 0;
    pdu.runs.push_back(std::move(run));
  }

  std::size_t pdu_size_;
  std::size_t max_items_;
};

std::size_t item_count(const std::vector<OpenPdu>& pdus) {
  std::size_t items = 0;
  for (const OpenPdu& pdu : pdus) items += pdu.runs.size();
  return items;
}

PlannedItem to_item(const Run& run) {
  PlannedItem item;
  item.area = run.area;
  item.db = run.db;
  const bool elements = element_area(run.area);
  item.start = static_cast<std::uint32_t>(elements ? run.begin() / 2 : run.begin());
  item.count = static_cast<std::uint16_t>(elements ? run.data() / 2 : run.data());
  item.transport = run.area == Area::timers     ? TransportSize::timer
                   : run.area == Area::counters ? TransportSize::counter
                                                : TransportSize::byte;
  for (const Piece& piece : run.pieces)
    for (const TagPart& part : piece.parts)
      item.slices.push_back({part.tag, part.tag_offset, part.position - run.begin(), part.length});
  return item;
}

}  // namespace

std::size_t PlannedItem::data_bytes() const noexcept {
  return (transport == TransportSize::timer || transport == TransportSize::counter) ? std::size_t{count} * 2
                                                                                    : std::size_t{count};
}

std::size_t PlannedPdu::request_bytes() const noexcept {
  return kReadRequestHeader + kReadRequestItem * items.size();
}

std::size_t PlannedPdu::response_bytes() const noexcept {
  std::size_t bytes = kReadResponseHeader;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::size_t data = items[i].data_bytes();
    bytes += kReadResponseItem + data + ((data & 1) != 0 && i + 1 != items.size() ? 1 : 0);
  }
  return bytes;
}

namespace {

// Bytes a packing moves over the wire besides the per-PDU headers: each item's specification
// in the request and header in the response, and its data (gaps included; fill bytes ignored).
std::size_t wire_bytes(const std::vector<OpenPdu>& pdus) {
  std::size_t bytes = 0;
  for (const OpenPdu& pdu : pdus)
    for (const Run& run : pdu.runs) bytes += kReadRequestItem + kReadResponseItem + run.data();
  return bytes;
}

// Steps 2 and 3 for one merge gap: two packings, the better one wins (fewer PDUs, then fewer
// items): neither dominates the other, and both cost little next to one round trip to the PLC.
std::vector<OpenPdu> pack_with_gap(const std::vector<AreaPieces>& areas, std::size_t gap, std::size_t payload,
                                   const Packer& packer) {
  std::vector<Run> runs = make_runs(areas, gap, payload);
  std::sort(runs.begin(), runs.end(), larger_first);
  std::vector<OpenPdu> packed = packer.first_fit_decreasing(runs);
  std::vector<OpenPdu> balanced = packer.balanced_fill(std::move(runs));
  if (std::tuple(balanced.size(), item_count(balanced)) < std::tuple(packed.size(), item_count(packed)))
    return balanced;
  return packed;
}

}  // namespace

ReadPlan plan_reads(std::span<const Address> tags, const PduLimits& limits, std::size_t max_gap) {
  ReadPlan plan;
  if (tags.empty()) return plan;
  const std::size_t pdu_size = std::max(limits.pdu_size, kSmallestPduSize);
  const std::size_t max_items =
      limits.max_items == 0 ? kMaxItemsOnTheWire : std::min(limits.max_items, kMaxItemsOnTheWire);
  // The most data one item can carry: a response with this single item fills the PDU.
  const std::size_t payload = pdu_size - kReadResponseHeader - kReadResponseItem;

  const std::vector<AreaPieces> areas = make_pieces(tags, payload);
  plan.minimum_pdus = minimum_read_pdus(tags, limits);

  // Which merge gap is best depends on the tags: scattered tags run into the item limit (20
  // per request on real CPUs), so reading across wider gaps saves PDUs until the bytes fill
  // them instead; dense tags gain nothing from it. The gaps 0, 1, 2, 4, ... up to max_gap are
  // tried and the plan with the fewest PDUs (then the fewest bytes on the wire: a gap narrower
  // than an item's 16 bytes of overhead is worth reading across; then the smallest gap) is
  // kept; about ten plans for a poll group, made once per connection.
  const Packer packer(pdu_size, max_items);
  const std::size_t gap_limit = std::min(max_gap, payload);
  std::vector<OpenPdu> packed = pack_with_gap(areas, 0, payload, packer);
  std::size_t best_gap = 0;
  const auto try_gap = [&](std::size_t gap) {
    std::vector<OpenPdu> candidate = pack_with_gap(areas, gap, payload, packer);
    if (std::tuple(candidate.size(), wire_bytes(candidate)) < std::tuple(packed.size(), wire_bytes(packed))) {
      packed = std::move(candidate);
      best_gap = gap;
    }
  };
  for (std::size_t gap = 1; gap <= gap_limit; gap = gap < gap_limit && gap * 2 > gap_limit ? gap_limit : gap * 2) {
    try_gap(gap);
    if (gap == gap_limit) break;
  }
  // Then a finer look between half and twice the best power of two (eighths of it): the
  // best gap for scattered tags is where the item limit and the bytes bind together.
  if (best_gap >= 8) {
    const std::size_t step = best_gap / 8;
    const std::size_t coarse = best_gap;
    for (std::size_t gap = coarse / 2 + step; gap < std::min(coarse * 2, gap_limit); gap += step)
      if (gap != coarse) try_gap(gap);
  }

  for (OpenPdu& open : packed) {
    std::sort(open.runs.begin(), open.runs.end(), [](const Run& x, const Run& y) { return run_key(x) < run_key(y); });
    // The last odd-length item moves to the end, where it needs no fill byte.
    auto odd = std::find_if(open.runs.rbegin(), open.runs.rend(), [](const Run& r) { return (r.data() & 1) != 0; });
    if (odd != open.runs.rend()) std::rotate(odd.base() - 1, odd.base(), open.runs.end());
    PlannedPdu pdu;
    for (const Run& run : open.runs) {
      pdu.items.push_back(to_item(run));
      plan.bytes += pdu.items.back().data_bytes();
    }
    plan.pdus.push_back(std::move(pdu));
  }
  return plan;
}

}  // namespace logbot::agent::s7
