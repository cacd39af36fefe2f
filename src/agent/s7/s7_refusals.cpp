// Lessons from refused items: see s7_refusals.hpp. Every plan made here is built from
// plan_reads (so it keeps its guarantees: no PDU above the limits, every tag covered exactly)
// and a first-fit packing of whole items into PDUs under the same limits.
#include "agent/s7/s7_refusals.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "agent/s7/s7_pdu.hpp"

namespace logbot::agent::s7 {
namespace {

constexpr std::size_t kMaxItemsOnTheWire = 255;

// The bytes a tag occupies in its area, as plan_reads counts them.
using SpanKey = std::tuple<int, std::uint16_t, std::size_t, std::size_t>;

SpanKey span_of(const Address& a) {
  const bool elements = a.area == Area::timers || a.area == Area::counters;
  const std::size_t begin = elements ? std::size_t{a.offset} * 2 : std::size_t{a.offset};
  const std::size_t size = elements ? 2 : a.size();
  return {static_cast<int>(a.area), a.area == Area::data_block ? a.db : std::uint16_t{0}, begin, begin + size};
}

bool refused(const ItemCodes& codes, std::size_t pdu, std::size_t item) {
  return pdu < codes.size() && item < codes[pdu].size() && codes[pdu][item] != kReturnCodeSuccess;
}

std::set<std::size_t> tags_of(const PlannedItem& item) {
  std::set<std::size_t> tags;
  for (const Slice& slice : item.slices) tags.insert(slice.tag);
  return tags;
}

std::size_t spans_in(const PlannedItem& item, std::span<const Address> tags) {
  std::set<SpanKey> spans;
  for (const Slice& slice : item.slices)
    if (slice.tag < tags.size()) spans.insert(span_of(tags[slice.tag]));
  return spans.size();
}

// plan_reads over tags[indexes], its slices renamed to indexes into `tags`.
ReadPlan plan_subset(std::span<const Address> tags, const std::vector<std::size_t>& indexes, const PduLimits& limits,
                     std::size_t max_gap) {
  std::vector<Address> subset;
  subset.reserve(indexes.size());
  for (const std::size_t i : indexes) subset.push_back(tags[i]);
  ReadPlan plan = plan_reads(subset, limits, max_gap);
  for (PlannedPdu& pdu : plan.pdus)
    for (PlannedItem& item : pdu.items)
      for (Slice& slice : item.slices) slice.tag = indexes[slice.tag];
  return plan;
}

// One item (or more, for a span above one item's payload) per group of tags with the same span.
std::vector<PlannedItem> items_per_span(std::span<const Address> tags, const std::set<std::size_t>& which,
                                        const PduLimits& limits) {
  std::map<SpanKey, std::vector<std::size_t>> groups;
  for (const std::size_t tag : which) groups[span_of(tags[tag])].push_back(tag);
  std::vector<PlannedItem> items;
  for (const auto& [span, group] : groups) {
    ReadPlan alone = plan_subset(tags, group, limits, 0);
    for (PlannedPdu& pdu : alone.pdus)
      for (PlannedItem& item : pdu.items) items.push_back(std::move(item));
  }
  return items;
}

// Adds each item to the first PDU it fits (request and response sizes, item count), or to a
// new one. plan_reads makes each item fit an empty PDU, so every item finds a place.
void pack_items(std::vector<PlannedPdu>& pdus, std::vector<PlannedItem> items, const PduLimits& limits) {
  const std::size_t pdu_size = std::max(limits.pdu_size, kReadRequestHeader + kReadRequestItem);
  const std::size_t max_items =
      limits.max_items == 0 ? kMaxItemsOnTheWire : std::min(limits.max_items, kMaxItemsOnTheWire);
  for (PlannedItem& item : items) {
    bool placed = false;
    for (PlannedPdu& pdu : pdus) {
      if (pdu.items.size() + 1 > max_items || pdu.request_bytes() + kReadRequestItem > pdu_size) continue;
      pdu.items.push_back(item);
      if (pdu.response_bytes() <= pdu_size) {
        placed = true;
        break;
      }
      pdu.items.pop_back();
    }
    if (!placed) pdus.push_back(PlannedPdu{{std::move(item)}});
  }
}

std::size_t data_bytes(const ReadPlan& plan) {
  std::size_t bytes = 0;
  for (const PlannedPdu& pdu : plan.pdus)
    for (const PlannedItem& item : pdu.items) bytes += item.data_bytes();
  return bytes;
}

}  // namespace

bool refusal_is_lasting(std::uint8_t return_code) noexcept {
  switch (return_code) {
    case 0x03:  // access denied (protection)
    case 0x05:  // address out of range
    case 0x06:  // data type not supported
    case 0x07:  // data type inconsistent
    case 0x0A:  // object does not exist
      return true;
    default: return false;
  }
}

ReadPlan plan_with_lessons(std::span<const Address> tags, std::span<const TagLesson> lessons, const PduLimits& limits,
                           std::size_t max_gap) {
  std::vector<std::size_t> merged;
  std::set<std::size_t> alone;
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const Lesson lesson = i < lessons.size() ? lessons[i].lesson : Lesson::merge;
    if (lesson == Lesson::merge) merged.push_back(i);
    if (lesson == Lesson::alone) alone.insert(i);
  }
  if (merged.size() == tags.size()) return plan_reads(tags, limits, max_gap);

  ReadPlan plan = merged.empty() ? ReadPlan{} : plan_subset(tags, merged, limits, max_gap);
  if (!alone.empty()) {
    pack_items(plan.pdus, items_per_span(tags, alone, limits), limits);
    // The bound for what is read now, tags alone included.
    std::vector<std::size_t> read(merged);
    read.insert(read.end(), alone.begin(), alone.end());
    plan.minimum_pdus = plan_subset(tags, read, limits, max_gap).minimum_pdus;
  }
  plan.bytes = data_bytes(plan);
  return plan;
}

ReadPlan plan_retry(std::span<const Address> tags, const ReadPlan& plan, const ItemCodes& codes,
                    const PduLimits& limits) {
  std::set<std::size_t> retried;
  for (std::size_t p = 0; p < plan.pdus.size(); ++p) {
    const auto& items = plan.pdus[p].items;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!refused(codes, p, i) || spans_in(items[i], tags) < 2) continue;
      for (const std::size_t tag : tags_of(items[i]))
        if (tag < tags.size()) retried.insert(tag);
    }
  }
  ReadPlan retry;
  if (retried.empty()) return retry;
  pack_items(retry.pdus, items_per_span(tags, retried, limits), limits);
  retry.bytes = data_bytes(retry);
  return retry;
}

bool learn(std::vector<TagLesson>& lessons, std::span<const Address> tags, const ReadPlan& plan, const ItemCodes& codes,
           const ReadPlan& retry, const ItemCodes& retry_codes) {
  lessons.resize(tags.size());
  bool changed = false;
  const auto teach = [&](std::size_t tag, TagLesson lesson) {
    if (tag >= lessons.size() || lessons[tag] == lesson) return;
    if (lessons[tag].lesson == Lesson::skip) return;  // the firmest lesson stands until relearning
    lessons[tag] = lesson;
    changed = true;
  };

  // The retry: every item holds one span.
  std::map<std::size_t, std::uint8_t> refused_alone;  // tag -> first return code
  std::set<std::size_t> retried;
  for (std::size_t p = 0; p < retry.pdus.size(); ++p) {
    const auto& items = retry.pdus[p].items;
    for (std::size_t i = 0; i < items.size(); ++i) {
      for (const std::size_t tag : tags_of(items[i])) {
        retried.insert(tag);
        if (refused(retry_codes, p, i)) refused_alone.emplace(tag, retry_codes[p][i]);
      }
    }
  }
  for (const auto& [tag, code] : refused_alone)
    teach(tag, refusal_is_lasting(code) ? TagLesson{Lesson::skip, code} : TagLesson{Lesson::alone, 0});

  for (std::size_t p = 0; p < plan.pdus.size(); ++p) {
    const auto& items = plan.pdus[p].items;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!refused(codes, p, i)) continue;
      const std::uint8_t code = codes[p][i];
      const std::set<std::size_t> members = tags_of(items[i]);
      if (spans_in(items[i], tags) < 2) {
        // Already read alone: only a lasting refusal is worth remembering.
        if (refusal_is_lasting(code))
          for (const std::size_t tag : members) teach(tag, TagLesson{Lesson::skip, code});
        continue;
      }
      // Every tag read well alone: the PLC refused the merge itself, so none is merged again.
      const bool all_retried =
          std::all_of(members.begin(), members.end(), [&](std::size_t t) { return retried.count(t) != 0; });
      const bool none_refused =
          std::none_of(members.begin(), members.end(), [&](std::size_t t) { return refused_alone.count(t) != 0; });
      if (all_retried && none_refused)
        for (const std::size_t tag : members) teach(tag, TagLesson{Lesson::alone, 0});
    }
  }
  return changed;
}

}  // namespace logbot::agent::s7
