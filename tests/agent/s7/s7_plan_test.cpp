// The read optimiser: merging, the max_gap boundary, splitting, the item limit, the PDU size
// limits of every PDU, exact coverage of every tag, and the PDU count of a large scattered list.
#include "agent/s7/s7_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

namespace logbot::agent::s7 {
namespace {

Address tag(std::string_view text, std::string_view type = {}) {
  auto parsed = parse_address(text, type);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.has_value() ? *parsed : Address{};
}

bool element_area(Area area) {
  return area == Area::timers || area == Area::counters;
}

// Checks what every plan must satisfy: no PDU above the limits, every item carrying its data
// in one response item, and every byte of every tag filled by exactly one slice that points at
// the tag's own bytes in the PLC.
void expect_valid(const ReadPlan& plan, const std::vector<Address>& tags, const PduLimits& limits) {
  std::vector<std::vector<std::pair<std::size_t, std::size_t>>> filled(tags.size());  // (tag_offset, length)
  std::size_t bytes = 0;
  for (const PlannedPdu& pdu : plan.pdus) {
    ASSERT_FALSE(pdu.items.empty());
    EXPECT_LE(pdu.request_bytes(), limits.pdu_size);
    EXPECT_LE(pdu.response_bytes(), limits.pdu_size);
    if (limits.max_items != 0) {
      EXPECT_LE(pdu.items.size(), limits.max_items);
    }
    for (const PlannedItem& item : pdu.items) {
      bytes += item.data_bytes();
      EXPECT_GT(item.count, 0);
      EXPECT_LE(item.data_bytes(), limits.pdu_size - kReadResponseHeader - kReadResponseItem);
      EXPECT_EQ(item.transport, item.area == Area::timers     ? TransportSize::timer
                                : item.area == Area::counters ? TransportSize::counter
                                                              : TransportSize::byte);
      for (const Slice& slice : item.slices) {
        ASSERT_LT(slice.tag, tags.size());
        const Address& a = tags[slice.tag];
        EXPECT_EQ(item.area, a.area);
        if (a.area == Area::data_block) {
          EXPECT_EQ(item.db, a.db);
        }
        EXPECT_LE(slice.item_offset + slice.length, item.data_bytes());
        const std::size_t unit = element_area(a.area) ? 2 : 1;
        EXPECT_EQ(item.start * unit + slice.item_offset, a.offset * unit + slice.tag_offset)
            << "slice of tag " << slice.tag << " points at other bytes";
        filled[slice.tag].emplace_back(slice.tag_offset, slice.length);
      }
    }
  }
  EXPECT_EQ(plan.bytes, bytes);
  for (std::size_t t = 0; t < tags.size(); ++t) {
    auto& parts = filled[t];
    std::sort(parts.begin(), parts.end());
    std::size_t next = 0;
    for (auto [offset, length] : parts) {
      EXPECT_EQ(offset, next) << "tag " << t << " (" << to_string(tags[t]) << ") has a gap or an overlap";
      next = offset + length;
    }
    EXPECT_EQ(next, tags[t].size()) << "tag " << t << " (" << to_string(tags[t]) << ") not covered";
  }
}

std::size_t item_count(const ReadPlan& plan) {
  std::size_t items = 0;
  for (const PlannedPdu& pdu : plan.pdus) items += pdu.items.size();
  return items;
}

TEST(S7Plan, NoTagsNoPdus) {
  const ReadPlan plan = plan_reads({}, PduLimits{240, 0}, 16);
  EXPECT_TRUE(plan.pdus.empty());
  EXPECT_EQ(plan.bytes, 0u);
  EXPECT_EQ(plan.minimum_pdus, 0u);
}

TEST(S7Plan, AdjacentTagsShareOneItem) {
  const std::vector<Address> tags{tag("DB1.DBD4", "REAL"), tag("DB1.DBW0"), tag("DB1.DBW2", "INT")};
  const PduLimits limits{240, 0};
  const ReadPlan plan = plan_reads(tags, limits, 0);
  expect_valid(plan, tags, limits);
  ASSERT_EQ(plan.pdus.size(), 1u);
  ASSERT_EQ(plan.pdus[0].items.size(), 1u);
  const PlannedItem& item = plan.pdus[0].items[0];
  EXPECT_EQ(item.area, Area::data_block);
  EXPECT_EQ(item.db, 1);
  EXPECT_EQ(item.start, 0u);
  EXPECT_EQ(item.count, 8);
  EXPECT_EQ(plan.bytes, 8u);
  EXPECT_EQ(plan.minimum_pdus, 1u);
  // Request: 12 + 12; response: 14 + 4 + 8.
  EXPECT_EQ(plan.pdus[0].request_bytes(), 24u);
  EXPECT_EQ(plan.pdus[0].response_bytes(), 26u);
}

TEST(S7Plan, MaxGapBoundary) {
  // DB1.DBW0 covers bytes 0..1, DB1.DBW10 bytes 10..11: a gap of 8 bytes (2..9).
  const std::vector<Address> tags{tag("DB1.DBW0"), tag("DB1.DBW10")};
  const PduLimits limits{240, 0};
  const ReadPlan merged = plan_reads(tags, limits, 8);
  expect_valid(merged, tags, limits);
  ASSERT_EQ(item_count(merged), 1u);
  EXPECT_EQ(merged.pdus[0].items[0].count, 12);
  EXPECT_EQ(merged.bytes, 12u);  // gaps are read too

  const ReadPlan apart = plan_reads(tags, limits, 7);
  expect_valid(apart, tags, limits);
  EXPECT_EQ(item_count(apart), 2u);
  EXPECT_EQ(apart.bytes, 4u);
  EXPECT_EQ(apart.pdus.size(), 1u);
}

TEST(S7Plan, AreasAndDataBlocksNeverMerge) {
  const std::vector<Address> tags{tag("DB1.DBB0"), tag("DB2.DBB1"), tag("MB2"), tag("IB3"), tag("QB4")};
  const PduLimits limits{240, 0};
  const ReadPlan plan = plan_reads(tags, limits, 100);
  expect_valid(plan, tags, limits);
  EXPECT_EQ(item_count(plan), 5u);
  // Five one-byte items: four padded to even, the last (odd) one not: 14 + 4 * 6 + 5.
  ASSERT_EQ(plan.pdus.size(), 1u);
  EXPECT_EQ(plan.pdus[0].response_bytes(), 14u + 4 * 6 + 5);
}

TEST(S7Plan, BitsOfOneByteShareIt) {
  const std::vector<Address> tags{tag("M0.7"), tag("M0.0"), tag("M0.1"), tag("MB0")};
  const PduLimits limits{240, 0};
  const ReadPlan plan = plan_reads(tags, limits, 0);
  expect_valid(plan, tags, limits);
  ASSERT_EQ(item_count(plan), 1u);
  const PlannedItem& item = plan.pdus[0].items[0];
  EXPECT_EQ(item.area, Area::flags);
  EXPECT_EQ(item.count, 1);
  EXPECT_EQ(item.transport, TransportSize::byte);
  EXPECT_EQ(item.slices.size(), 4u);
}

TEST(S7Plan, OverlappingTagsAreReadOnce) {
  const std::vector<Address> tags{tag("DB3.DBD0", "REAL"), tag("DB3.DBW2"), tag("DB3.DBX3.1")};
  const PduLimits limits{240, 0};
  const ReadPlan plan = plan_reads(tags, limits, 0);
  expect_valid(plan, tags, limits);
  ASSERT_EQ(item_count(plan), 1u);
  EXPECT_EQ(plan.bytes, 4u);
  EXPECT_EQ(plan.minimum_pdus, 1u);
}

TEST(S7Plan, TimersAndCountersUseElements) {
  // T1 and T2 are adjacent; T5 is 2 elements (4 bytes) after T2.
  const std::vector<Address> tags{tag("T1"), tag("T2"), tag("T5"), tag("C7"), tag("Z8", "WORD")};
  const PduLimits limits{240, 0};
  const ReadPlan merged = plan_reads(tags, limits, 4);
  expect_valid(merged, tags, limits);
  ASSERT_EQ(item_count(merged), 2u);
  for (const PlannedItem& item : merged.pdus[0].items) {
    if (item.area == Area::timers) {
      EXPECT_EQ(item.transport, TransportSize::timer);
      EXPECT_EQ(item.start, 1u);
      EXPECT_EQ(item.count, 5);  // T1..T5
      EXPECT_EQ(item.data_bytes(), 10u);
    } else {
      EXPECT_EQ(item.area, Area::counters);
      EXPECT_EQ(item.transport, TransportSize::counter);
      EXPECT_EQ(item.start, 7u);
      EXPECT_EQ(item.count, 2);
    }
  }
  const ReadPlan apart = plan_reads(tags, limits, 3);
  expect_valid(apart, tags, limits);
  EXPECT_EQ(item_count(apart), 3u);
}

TEST(S7Plan, LongStringIsSlicedAcrossItemsWithPdu240) {
  // STRING[254] is 256 bytes; one item carries at most 240 - 14 - 4 = 222.
  const std::vector<Address> tags{tag("DB5.DBB100", "STRING[254]")};
  const PduLimits limits{240, 0};
  const ReadPlan plan = plan_reads(tags, limits, 0);
  expect_valid(plan, tags, limits);
  ASSERT_EQ(plan.pdus.size(), 2u);
  EXPECT_EQ(plan.minimum_pdus, 2u);
  EXPECT_EQ(plan.bytes, 256u);
  std::vector<std::pair<std::uint32_t, std::uint16_t>> items;
  for (const PlannedPdu& pdu : plan.pdus)
    for (const PlannedItem& item : pdu.items) items.emplace_back(item.start, item.count);
  std::sort(items.begin(), items.end());
  EXPECT_EQ(items, (std::vector<std::pair<std::uint32_t, std::uint16_t>>{{100, 222}, {322, 34}}));
  EXPECT_EQ(plan.pdus[0].response_bytes(), 240u);  // the first slice fills its PDU exactly
}

// An array is one tag, read as one item when it fits one; a larger one is cut at element
// boundaries (the slices are read by different requests: a REAL cut in two could combine the
// halves of two different values).
TEST(S7Plan, ArraysAreOneItemOrCutBetweenElements) {
  const PduLimits limits{240, 0};
  const std::vector<Address> small{tag("%DB10.DBD4", "REAL[10]")};
  const ReadPlan one = plan_reads(small, limits, 0);
  expect_valid(one, small, limits);
  ASSERT_EQ(one.pdus.size(), 1u);
  ASSERT_EQ(one.pdus[0].items.size(), 1u);
  EXPECT_EQ(one.pdus[0].items[0].start, 4u);
  EXPECT_EQ(one.pdus[0].items[0].count, 40u);
  EXPECT_EQ(one.pdus[0].items[0].transport, TransportSize::byte);

  // REAL[100] = 400 bytes; one item carries at most 222, so the cuts fall at 220 (55 REALs)
  // rather than at 222.
  const std::vector<Address> reals{tag("DB10.DBD0", "REAL[100]")};
  const ReadPlan cut = plan_reads(reals, limits, 0);
  expect_valid(cut, reals, limits);
  for (const PlannedPdu& pdu : cut.pdus)
    for (const PlannedItem& item : pdu.items) {
      EXPECT_EQ(item.start % 4, 0u) << item.start;
      EXPECT_EQ(item.count % 4, 0u) << item.count;
    }
  EXPECT_EQ(cut.pdus.size(), 2u);

  // DTL[30] = 360 bytes: cuts at multiples of 12 from the array's start at byte 2.
  const std::vector<Address> dates{tag("DB10.DBB2", "DTL[30]"), tag("DB10.DBW0")};
  const ReadPlan dtl = plan_reads(dates, limits, 0);
  expect_valid(dtl, dates, limits);
  for (const PlannedPdu& pdu : dtl.pdus)
    for (const PlannedItem& item : pdu.items)
      for (const Slice& slice : item.slices)
        if (slice.tag == 0) {
          EXPECT_EQ(slice.tag_offset % 12, 0u);
          EXPECT_EQ(slice.length % 12, 0u);
        }

  // A BOOL array is the bytes its bits touch.
  const std::vector<Address> bits{tag("M3.5", "BOOL[20]")};
  const ReadPlan bit_plan = plan_reads(bits, limits, 0);
  expect_valid(bit_plan, bits, limits);
  ASSERT_EQ(bit_plan.pdus.size(), 1u);
  EXPECT_EQ(bit_plan.pdus[0].items[0].start, 3u);
  EXPECT_EQ(bit_plan.pdus[0].items[0].count, 4u);  // bits 3.5 .. 6.0
}

TEST(S7Plan, LongRangesSplitAtTagBoundaries) {
  // 100 consecutive REALs: 400 bytes, more than one item's 222 bytes.
  std::vector<Address> tags;
  for (int i = 0; i < 100; ++i) tags.push_back(tag("DB7.DBD" + std::to_string(4 * i), "REAL"));
  const PduLimits limits{240, 0};
  const ReadPlan plan = plan_reads(tags, limits, 16);
  expect_valid(plan, tags, limits);
  std::size_t slices = 0;
  for (const PlannedPdu& pdu : plan.pdus)
    for (const PlannedItem& item : pdu.items) {
      slices += item.slices.size();
      EXPECT_EQ(item.count % 4, 0) << "an item boundary cuts a REAL";
    }
  EXPECT_EQ(slices, tags.size()) << "a tag that fits one item is read in one piece";
  EXPECT_EQ(plan.bytes, 400u);
  EXPECT_EQ(plan.minimum_pdus, 2u);  // 400 / 222 rounded up
  EXPECT_EQ(plan.pdus.size(), 2u);
}

TEST(S7Plan, RoomLeftInAPduIsFilledBySplittingARange) {
  // Three runs of 120 bytes in three data blocks. Two never share a 240-byte PDU whole
  // (14 + 124 + 124 = 262), so packing whole runs takes 3 PDUs; cutting the second run at a
  // REAL boundary fills the first PDU and the rest fits a second: 2, the minimum (360 / 222).
  std::vector<Address> tags;
  for (int db = 1; db <= 3; ++db)
    for (int i = 0; i < 30; ++i)
      tags.push_back(tag("DB" + std::to_string(db) + ".DBD" + std::to_string(4 * i), "REAL"));
  const PduLimits limits{240, 0};
  const ReadPlan plan = plan_reads(tags, limits, 0);
  expect_valid(plan, tags, limits);
  EXPECT_EQ(plan.minimum_pdus, 2u);
  EXPECT_EQ(plan.pdus.size(), 2u);
  EXPECT_EQ(item_count(plan), 4u);
}

TEST(S7Plan, ItemLimit) {
  std::vector<Address> tags;
  for (int db = 1; db <= 30; ++db) tags.push_back(tag("DB" + std::to_string(db) + ".DBW0"));
  const PduLimits limits{960, 5};
  const ReadPlan plan = plan_reads(tags, limits, 0);
  expect_valid(plan, tags, limits);
  EXPECT_EQ(plan.pdus.size(), 6u);
  // The bytes alone would fit one PDU, but 30 items at 5 per request need 6: the bound
  // counts items too.
  EXPECT_EQ(plan.minimum_pdus, 6u);
}

TEST(S7Plan, RequestSizeLimitsItems) {
  // 240-byte PDU: 12 + 12 * n <= 240 allows 19 items per request.
  std::vector<Address> tags;
  for (int db = 1; db <= 40; ++db) tags.push_back(tag("DB" + std::to_string(db) + ".DBB0"));
  const PduLimits limits{240, 0};
  const ReadPlan plan = plan_reads(tags, limits, 0);
  expect_valid(plan, tags, limits);
  EXPECT_EQ(plan.pdus.size(), 3u);  // 19 + 19 + 2
  for (const PlannedPdu& pdu : plan.pdus) EXPECT_LE(pdu.items.size(), 19u);
}

TEST(S7Plan, OddItemGoesLastToSaveItsPad) {
  // One odd item (3 bytes) and one even (2 bytes): with the odd one last the response is
  // 14 + (4 + 2) + (4 + 3) = 27; in the other order it would be 28.
  const std::vector<Address> tags{tag("DB1.DBB0"), tag("DB1.DBB1"), tag("DB1.DBB2"), tag("DB2.DBW0")};
  const PduLimits limits{240, 0};
  const ReadPlan plan = plan_reads(tags, limits, 0);
  expect_valid(plan, tags, limits);
  ASSERT_EQ(plan.pdus.size(), 1u);
  ASSERT_EQ(plan.pdus[0].items.size(), 2u);
  EXPECT_EQ(plan.pdus[0].items.back().count, 3);
  EXPECT_EQ(plan.pdus[0].response_bytes(), 27u);
}

TEST(S7Plan, AResponseFilledToTheLastByte) {
  // PDU 240: one item of 221 bytes (odd, no pad as the last item) = 14 + 4 + 221 = 239; a
  // second item would need 4 more bytes for its header: a second PDU.
  std::vector<Address> tags{tag("DB1.DBB0", "STRING[219]"), tag("DB2.DBB0")};
  const PduLimits limits{240, 0};
  const ReadPlan plan = plan_reads(tags, limits, 0);
  expect_valid(plan, tags, limits);
  EXPECT_EQ(plan.pdus.size(), 2u);
}

// Deterministic pseudo-random tags (mt19937's sequence is fixed by the standard).
std::vector<Address> scattered_tags(std::size_t count, std::uint32_t seed, std::uint32_t span) {
  std::mt19937 random(seed);
  std::vector<Address> tags;
  const char* types[] = {"BOOL", "BYTE", "INT", "WORD", "REAL", "DINT", "LREAL", "STRING[16]", "TIME", "CHAR"};
  while (tags.size() < count) {
    const std::uint32_t area = random() % 12, offset = random() % span, kind = random() % 10;
    const std::string type = types[kind];
    std::string width = type == "BOOL"                                         ? "X"
                        : (type == "INT" || type == "WORD")                    ? "W"
                        : (type == "REAL" || type == "DINT" || type == "TIME") ? "D"
                                                                               : "B";
    std::string text;
    if (area < 8)
      text = "DB" + std::to_string(area + 1) + ".DB" + width + std::to_string(offset);
    else if (area == 8)
      text = std::string("M") + (width == "X" ? "" : width) + std::to_string(offset);
    else if (area == 9)
      text = std::string("I") + (width == "X" ? "" : width) + std::to_string(offset);
    else if (area == 10)
      text = std::string("Q") + (width == "X" ? "" : width) + std::to_string(offset);
    else
      text = (random() % 2 ? "T" : "C") + std::to_string(offset % 512);
    if (width == "X") text += "." + std::to_string(random() % 8);
    auto parsed = parse_address(text, area == 11 ? std::string_view{} : std::string_view(type));
    if (parsed) tags.push_back(*parsed);
  }
  return tags;
}

TEST(S7Plan, PdusStayWithinLimitsForManyShapes) {
  for (std::size_t pdu_size : {240u, 241u, 480u, 960u}) {
    for (std::size_t max_items : {0u, 1u, 7u, 20u}) {
      for (std::size_t max_gap : {0u, 3u, 16u, 64u}) {
        const auto tags =
            scattered_tags(300, static_cast<std::uint32_t>(pdu_size * 31 + max_items * 7 + max_gap), 1500);
        const PduLimits limits{pdu_size, max_items};
        const ReadPlan plan = plan_reads(tags, limits, max_gap);
        SCOPED_TRACE("pdu " + std::to_string(pdu_size) + " items " + std::to_string(max_items) + " gap " +
                     std::to_string(max_gap));
        expect_valid(plan, tags, limits);
        EXPECT_GE(plan.pdus.size(), plan.minimum_pdus);
      }
    }
  }
}

TEST(S7Plan, SameInputSamePlan) {
  const auto tags = scattered_tags(500, 7, 3000);
  const PduLimits limits{480, 0};
  const ReadPlan first = plan_reads(tags, limits, 16);
  const ReadPlan second = plan_reads(tags, limits, 16);
  ASSERT_EQ(first.pdus.size(), second.pdus.size());
  for (std::size_t p = 0; p < first.pdus.size(); ++p) {
    ASSERT_EQ(first.pdus[p].items.size(), second.pdus[p].items.size());
    for (std::size_t i = 0; i < first.pdus[p].items.size(); ++i) {
      const PlannedItem &a = first.pdus[p].items[i], &b = second.pdus[p].items[i];
      EXPECT_EQ(std::tie(a.area, a.db, a.start, a.count), std::tie(b.area, b.db, b.start, b.count));
      ASSERT_EQ(a.slices.size(), b.slices.size());
      for (std::size_t s = 0; s < a.slices.size(); ++s)
        EXPECT_EQ(std::tie(a.slices[s].tag, a.slices[s].tag_offset, a.slices[s].item_offset, a.slices[s].length),
                  std::tie(b.slices[s].tag, b.slices[s].tag_offset, b.slices[s].item_offset, b.slices[s].length));
    }
  }
}

// A lower bound on the PDUs of ANY plan for `tags`, computed here independently of
// minimum_read_pdus (which also counts the items a segment longer than one item's payload
// needs, so it is never below this one). A plan with k items pays 12 request bytes per item
// (so at most (pdu - 12) / 12 items per PDU) and 4 response header bytes per item, and with k
// items it can skip at most k - G of the gaps between the distinct byte ranges of the tags (G:
// the areas and data blocks involved), so it reads at least the distinct bytes plus all gaps
// but the k - G largest. Fill bytes and the one-item payload limit are ignored (they only add),
// so the minimum over k of the larger of the two PDU counts is a true lower bound.
std::size_t lower_bound_pdus(const std::vector<Address>& tags, std::size_t pdu_size, std::size_t max_items = 0) {
  struct Span {
    int group;
    std::size_t begin, end;
  };
  std::vector<Span> spans;
  for (const Address& a : tags) {
    const std::size_t unit = element_area(a.area) ? 2 : 1;
    spans.push_back({static_cast<int>(a.area) * 65536 + (a.area == Area::data_block ? a.db : 0), a.offset * unit,
                     a.offset * unit + (unit == 2 ? 2 : a.size())});
  }
  std::sort(spans.begin(), spans.end(), [](const Span& x, const Span& y) {
    return std::tie(x.group, x.begin, x.end) < std::tie(y.group, y.begin, y.end);
  });
  std::size_t distinct = 0, groups = 0, pieces = 0;
  std::vector<std::size_t> gaps;
  int group = -1;
  std::size_t piece_begin = 0, piece_end = 0;
  for (const Span& s : spans) {
    if (s.group == group && s.begin < piece_end) {
      piece_end = std::max(piece_end, s.end);
      continue;
    }
    if (group != -1) distinct += piece_end - piece_begin;
    if (s.group == group)
      gaps.push_back(s.begin - piece_end);
    else
      ++groups;
    ++pieces;
    group = s.group;
    piece_begin = s.begin;
    piece_end = s.end;
  }
  distinct += piece_end - piece_begin;
  std::sort(gaps.rbegin(), gaps.rend());
  std::size_t gaps_read = 0;
  for (std::size_t gap : gaps) gaps_read += gap;
  std::size_t items_per_pdu = (pdu_size - kReadRequestHeader) / kReadRequestItem;
  if (max_items != 0) items_per_pdu = std::min(items_per_pdu, max_items);
  const std::size_t response_room = pdu_size - kReadResponseHeader;
  std::size_t best = SIZE_MAX;
  for (std::size_t k = groups; k <= pieces; ++k) {
    if (k > groups) gaps_read -= gaps[k - groups - 1];  // skip the next largest gap
    const std::size_t need = distinct + gaps_read + kReadResponseItem * k;
    best =
        std::min(best, std::max((k + items_per_pdu - 1) / items_per_pdu, (need + response_room - 1) / response_room));
  }
  return best;
}

TEST(S7Plan, ThousandScatteredTagsNeedCloseToTheFewestPdus) {
  // 1,000 tags over 8 data blocks, M, I, Q (4,000 bytes each) and timers/counters.
  const auto tags = scattered_tags(1000, 2026, 4000);
  const PduLimits limits{480, 0};
  const ReadPlan plan = plan_reads(tags, limits, 16);
  expect_valid(plan, tags, limits);
  const std::size_t bound = plan.minimum_pdus;
  EXPECT_GE(bound, lower_bound_pdus(tags, 480));
  EXPECT_GE(plan.pdus.size(), bound);  // else the bound (or the checks above) are wrong
  // Scattered tags cost mostly item overhead, which the bound charges. The plan may exceed it
  // by the max_gap policy (gaps up to 16 bytes are read, whether or not a PDU would rather
  // spend its room on them) and by packing slack (a PDU ends when less than one piece fits):
  // allow 15 % plus one PDU.
  EXPECT_LE(plan.pdus.size(), bound + bound * 15 / 100 + 1) << "minimum " << plan.minimum_pdus;
  std::printf("1000 scattered tags, PDU 480: %zu PDUs, %zu items, %zu bytes; minimum_pdus %zu\n", plan.pdus.size(),
              item_count(plan), plan.bytes, plan.minimum_pdus);
}

TEST(S7Plan, TheGapSearchNeverCostsPdusAndIgnoresTagOrder) {
  // Gap 0 is one of the candidates, so a wider max_gap can only save PDUs; and the plan (its
  // items, in order) is the same whatever order the configuration lists the tags in.
  for (std::uint32_t seed : {3u, 11u, 2026u}) {
    auto tags = scattered_tags(400, seed, 3000);
    const PduLimits limits{480, 20};
    const ReadPlan tight = plan_reads(tags, limits, 0);
    const ReadPlan wide = plan_reads(tags, limits, 64);
    EXPECT_LE(wide.pdus.size(), tight.pdus.size()) << "seed " << seed;
    std::vector<Address> shuffled(tags.rbegin(), tags.rend());
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(seed));
    const ReadPlan again = plan_reads(shuffled, limits, 64);
    ASSERT_EQ(again.pdus.size(), wide.pdus.size()) << "seed " << seed;
    EXPECT_EQ(again.bytes, wide.bytes);
    for (std::size_t p = 0; p < wide.pdus.size(); ++p) {
      ASSERT_EQ(again.pdus[p].items.size(), wide.pdus[p].items.size()) << "seed " << seed << " PDU " << p;
      for (std::size_t i = 0; i < wide.pdus[p].items.size(); ++i) {
        const PlannedItem &a = wide.pdus[p].items[i], &b = again.pdus[p].items[i];
        EXPECT_EQ(std::tie(a.area, a.db, a.start, a.count), std::tie(b.area, b.db, b.start, b.count));
      }
    }
  }
}

// The bound by hand: PDU 240 (19 items per request, 226 response bytes for items), 40 one-byte
// tags in DB1, 10 bytes apart (40 segments, 39 gaps of 9 bytes). With k items a plan reads at
// least 40 bytes plus 9 for each of the 40 - k gaps it must read across, and 4 header bytes
// per item: k = 40: 40 + 160 = 200 bytes but 40 items need 3 PDUs; k = 38: 2 PDUs for the items
// and 40 + 18 + 152 = 210 bytes fit one: 2; k = 19: 1 PDU for the items but 40 + 189 + 76 =
// 305 bytes need 2; k <= 19 never beats 2 (fewer items read more gaps). So 2, where the bytes
// alone (40 / 222) say 1.
TEST(S7Plan, MinimumChargesItemsAndTheGapsFewerItemsMustRead) {
  std::vector<Address> tags;
  for (int i = 0; i < 40; ++i) tags.push_back(tag("DB1.DBB" + std::to_string(10 * i)));
  const PduLimits limits{240, 0};
  EXPECT_EQ(minimum_read_pdus(tags, limits), 2u);
  const ReadPlan plan = plan_reads(tags, limits, 960);
  expect_valid(plan, tags, limits);
  EXPECT_EQ(plan.minimum_pdus, 2u);
  EXPECT_EQ(plan.pdus.size(), 2u);  // the optimiser reaches it
  // With 20 items per request allowed at PDU 960 one PDU holds all 40 bytes and 39 gaps
  // (40 + 351 + 4 = 395 bytes in one item): 1.
  EXPECT_EQ(minimum_read_pdus(tags, PduLimits{960, 20}), 1u);
}

TEST(S7Plan, MinimumCountsTheItemsALongTagNeeds) {
  // Two STRING[254] (256 bytes each) in two data blocks at PDU 240: each needs two items
  // (222 + 34 bytes); 4 items and 512 + 16 bytes: 3 PDUs by bytes (528 / 226).
  const std::vector<Address> tags{tag("DB1.DBB0", "STRING[254]"), tag("DB2.DBB0", "STRING[254]")};
  EXPECT_EQ(minimum_read_pdus(tags, PduLimits{240, 0}), 3u);
  // One item per request: 4 items, 4 PDUs.
  EXPECT_EQ(minimum_read_pdus(tags, PduLimits{240, 1}), 4u);
  EXPECT_EQ(minimum_read_pdus({}, PduLimits{240, 0}), 0u);
}

// The bench's tag list (bench/s7_read_bench.cpp, seed 20261127): 1,000 tags in DB1..DB20 of
// 2,000 bytes, BOOL/INT/DINT/REAL/WORD at random offsets, drawn with SplitMix64.
std::vector<Address> bench_tags() {
  std::uint64_t state = 20261127;
  auto next = [&] {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  const char* types[] = {"BOOL", "INT", "DINT", "REAL", "WORD"};
  std::vector<Address> tags;
  for (int i = 0; i < 1000; ++i) {
    const unsigned db = 1 + static_cast<unsigned>(next() % 20);
    const std::string type = types[next() % 5];
    const unsigned start = static_cast<unsigned>(next() % 1997);
    const unsigned bit = static_cast<unsigned>(next() % 8);
    const std::string prefix = "DB" + std::to_string(db) + ".DB";
    if (type == "BOOL")
      tags.push_back(tag(prefix + "X" + std::to_string(start) + "." + std::to_string(bit), type));
    else if (type == "INT" || type == "WORD")
      tags.push_back(tag(prefix + "W" + std::to_string(start), type));
    else
      tags.push_back(tag(prefix + "D" + std::to_string(start), type));
  }
  return tags;
}

TEST(S7Plan, MinimumForTheBenchTags) {
  // Bytes alone would allow 3 PDUs at PDU 960; with 20 items per request and the item headers
  // charged no plan needs fewer than 17, and the optimiser's plan has 17. PDU 480: 23 (not 6),
  // PDU 240 (19 items per request): 33 (not 12).
  const auto tags = bench_tags();
  const PduLimits limits{960, 20};
  const ReadPlan plan = plan_reads(tags, limits, 960);
  expect_valid(plan, tags, limits);
  EXPECT_EQ(plan.minimum_pdus, 17u);
  EXPECT_GE(plan.pdus.size(), plan.minimum_pdus);
  EXPECT_EQ(minimum_read_pdus(tags, PduLimits{480, 20}), 23u);
  EXPECT_EQ(minimum_read_pdus(tags, PduLimits{240, 20}), 33u);
  EXPECT_EQ(lower_bound_pdus(tags, 960, 20), 17u);  // the independent computation agrees
}

// Property: for generated tag sets (dense and scattered, small and large, every area), PDU
// sizes, item limits and merge gaps, no plan the optimiser makes has fewer PDUs than the bound,
// and the bound is never below the independent one above (nor the bytes-only one).
TEST(S7Plan, NoPlanBeatsTheMinimum) {
  std::mt19937 random(9);
  for (int round = 0; round < 300; ++round) {
    const std::size_t count = 1 + random() % 400;
    const std::uint32_t span = 16 + random() % 6000;
    const std::size_t pdu_size = std::vector<std::size_t>{240, 241, 480, 960, 64, 1000}[random() % 6];
    const std::size_t max_items = std::vector<std::size_t>{0, 1, 3, 20}[random() % 4];
    const std::size_t max_gap = std::vector<std::size_t>{0, 4, 16, 960}[random() % 4];
    const auto tags = scattered_tags(count, random(), span);
    const PduLimits limits{pdu_size, max_items};
    SCOPED_TRACE("round " + std::to_string(round) + " pdu " + std::to_string(pdu_size) + " items " +
                 std::to_string(max_items) + " gap " + std::to_string(max_gap) + " tags " + std::to_string(count));
    const ReadPlan plan = plan_reads(tags, limits, max_gap);
    expect_valid(plan, tags, limits);
    EXPECT_EQ(plan.minimum_pdus, minimum_read_pdus(tags, limits));
    EXPECT_GE(plan.pdus.size(), plan.minimum_pdus);
    EXPECT_GE(plan.minimum_pdus, lower_bound_pdus(tags, pdu_size, max_items));
  }
}

TEST(S7Plan, TinyPduSizesStillProduceValidPlans) {
  const std::vector<Address> tags{tag("DB1.DBB0", "STRING[254]"), tag("T1"), tag("MD0", "REAL")};
  const PduLimits limits{24, 0};
  const ReadPlan plan = plan_reads(tags, limits, 0);
  expect_valid(plan, tags, limits);
}

}  // namespace
}  // namespace logbot::agent::s7
