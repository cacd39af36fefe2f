// Lessons from refused S7 items: the retry reads each span of a refused item alone, the
// lessons make exactly the refused tags bad, and the plan made from them no longer sends the
// refused item. The PLC is modelled by a function answering each planned item as a CPU does
// (a whole item is refused when any byte of it is unreadable).
#include "agent/s7/s7_refusals.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <vector>

#include "agent/s7/s7_pdu.hpp"

namespace logbot::agent::s7 {
namespace {

Address tag(std::string_view text, std::string_view type = {}) {
  auto parsed = parse_address(text, type);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.has_value() ? *parsed : Address{};
}

using Answer = std::function<std::uint8_t(const PlannedItem&)>;

ItemCodes answer(const ReadPlan& plan, const Answer& plc) {
  ItemCodes codes;
  for (const PlannedPdu& pdu : plan.pdus) {
    codes.emplace_back();
    for (const PlannedItem& item : pdu.items) codes.back().push_back(plc(item));
  }
  return codes;
}

// A CPU whose DB10 has `length` bytes and which has no other data block.
Answer db10_of(std::size_t length) {
  return [length](const PlannedItem& item) -> std::uint8_t {
    if (item.area != Area::data_block || item.db != 10) return 0x0A;
    return item.start + item.data_bytes() <= length ? kReturnCodeSuccess : 0x05;
  };
}

std::set<std::size_t> tags_read(const ReadPlan& plan) {
  std::set<std::size_t> tags;
  for (const PlannedPdu& pdu : plan.pdus)
    for (const PlannedItem& item : pdu.items)
      for (const Slice& slice : item.slices) tags.insert(slice.tag);
  return tags;
}

std::size_t items_of(const ReadPlan& plan) {
  std::size_t items = 0;
  for (const PlannedPdu& pdu : plan.pdus) items += pdu.items.size();
  return items;
}

void expect_within(const ReadPlan& plan, const PduLimits& limits) {
  for (const PlannedPdu& pdu : plan.pdus) {
    EXPECT_FALSE(pdu.items.empty());
    EXPECT_LE(pdu.items.size(), limits.max_items);
    EXPECT_LE(pdu.request_bytes(), limits.pdu_size);
    EXPECT_LE(pdu.response_bytes(), limits.pdu_size);
  }
}

// The plant engineer's trial: 22 words DBW0..504 and DBW530 in a 512-byte DB10.
std::vector<Address> trial_tags() {
  std::vector<Address> tags;
  for (int offset = 0; offset <= 504; offset += 24) tags.push_back(tag("DB10.DBW" + std::to_string(offset)));
  tags.push_back(tag("DB10.DBW530"));
  return tags;
}

TEST(S7Refusals, OneTagPastTheEndOfADataBlockIsTheOnlyBadTagAndIsNotReadAgain) {
  const std::vector<Address> tags = trial_tags();
  ASSERT_EQ(tags.size(), 23u);
  const PduLimits limits{960, 20};
  const ReadPlan plan = plan_reads(tags, limits, 960);
  ASSERT_EQ(items_of(plan), 1u) << "at PDU 960 every tag shares one item";
  const ItemCodes codes = answer(plan, db10_of(512));
  ASSERT_EQ(codes[0][0], 0x05);

  const ReadPlan retry = plan_retry(tags, plan, codes, limits);
  EXPECT_EQ(items_of(retry), 23u) << "one item per tag";
  EXPECT_EQ(retry.pdus.size(), 2u) << "20 items per PDU";
  expect_within(retry, limits);
  const ItemCodes retry_codes = answer(retry, db10_of(512));

  std::vector<TagLesson> lessons(tags.size());
  EXPECT_TRUE(learn(lessons, tags, plan, codes, retry, retry_codes));
  for (std::size_t i = 0; i < 22; ++i) EXPECT_EQ(lessons[i].lesson, Lesson::merge) << i;
  EXPECT_EQ(lessons[22], (TagLesson{Lesson::skip, 0x05}));

  const ReadPlan learned = plan_with_lessons(tags, lessons, limits, 960);
  ASSERT_EQ(items_of(learned), 1u);
  const PlannedItem& item = learned.pdus[0].items[0];
  EXPECT_EQ(item.start, 0u);
  EXPECT_EQ(item.count, 506u) << "up to the last good tag, not past the end of the DB";
  EXPECT_EQ(tags_read(learned).count(22), 0u);
  EXPECT_EQ(tags_read(learned).size(), 22u);
  EXPECT_EQ(learned.bytes, 506u);

  // The next cycle: nothing is refused, nothing retried, nothing more learned.
  const ItemCodes next = answer(learned, db10_of(512));
  EXPECT_EQ(next[0][0], kReturnCodeSuccess);
  const ReadPlan no_retry = plan_retry(tags, learned, next, limits);
  EXPECT_TRUE(no_retry.pdus.empty());
  EXPECT_FALSE(learn(lessons, tags, learned, next, no_retry, {}));
}

TEST(S7Refusals, AtPdu480TheRefusedItemIsTheSecondOfTwo) {
  const std::vector<Address> tags = trial_tags();
  const PduLimits limits{480, 20};
  const ReadPlan plan = plan_reads(tags, limits, 960);
  const ItemCodes codes = answer(plan, db10_of(512));
  const ReadPlan retry = plan_retry(tags, plan, codes, limits);
  std::vector<TagLesson> lessons(tags.size());
  learn(lessons, tags, plan, codes, retry, answer(retry, db10_of(512)));
  for (std::size_t i = 0; i < 22; ++i) EXPECT_EQ(lessons[i].lesson, Lesson::merge) << i;
  EXPECT_EQ(lessons[22].lesson, Lesson::skip);
  EXPECT_LT(items_of(retry), 23u) << "only the tags of the refused item are read again";
  const ReadPlan learned = plan_with_lessons(tags, lessons, limits, 960);
  const ItemCodes next = answer(learned, db10_of(512));
  for (const auto& pdu : next)
    for (const std::uint8_t code : pdu) EXPECT_EQ(code, kReturnCodeSuccess);
}

TEST(S7Refusals, AMissingDataBlockIsSkippedWhole) {
  std::vector<Address> tags;
  for (int offset = 0; offset < 40; offset += 4) tags.push_back(tag("DB2.DBD" + std::to_string(offset), "REAL"));
  tags.push_back(tag("DB10.DBW0"));
  const PduLimits limits{480, 20};
  const ReadPlan plan = plan_reads(tags, limits, 960);
  const ItemCodes codes = answer(plan, db10_of(512));
  const ReadPlan retry = plan_retry(tags, plan, codes, limits);
  EXPECT_EQ(items_of(retry), 10u) << "the ten DB2 tags; DB10.DBW0 was not refused";
  std::vector<TagLesson> lessons(tags.size());
  EXPECT_TRUE(learn(lessons, tags, plan, codes, retry, answer(retry, db10_of(512))));
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(lessons[i], (TagLesson{Lesson::skip, 0x0A})) << i;
  EXPECT_EQ(lessons[10].lesson, Lesson::merge);
  const ReadPlan learned = plan_with_lessons(tags, lessons, limits, 960);
  EXPECT_EQ(tags_read(learned), (std::set<std::size_t>{10}));
  EXPECT_EQ(items_of(learned), 1u);
}

TEST(S7Refusals, ATagAloneInARefusedItemIsNotReadAgainForALastingCodeOnly) {
  const std::vector<Address> tags{tag("DB3.DBW0"), tag("MW0")};
  const PduLimits limits{480, 20};
  const ReadPlan plan = plan_reads(tags, limits, 960);
  ASSERT_EQ(items_of(plan), 2u);
  const auto plc = [](std::uint8_t code) {
    return [code](const PlannedItem& item) { return item.area == Area::data_block ? code : kReturnCodeSuccess; };
  };
  const ItemCodes lasting = answer(plan, plc(0x0A));
  EXPECT_TRUE(plan_retry(tags, plan, lasting, limits).pdus.empty()) << "an item of one tag is exact already";
  std::vector<TagLesson> lessons(tags.size());
  EXPECT_TRUE(learn(lessons, tags, plan, lasting, {}, {}));
  EXPECT_EQ(lessons[0], (TagLesson{Lesson::skip, 0x0A}));

  std::vector<TagLesson> passing(tags.size());
  EXPECT_FALSE(learn(passing, tags, plan, answer(plan, plc(0x01)), {}, {})) << "a hardware fault may pass";
  EXPECT_EQ(passing[0].lesson, Lesson::merge);
}

TEST(S7Refusals, APassingRefusalReadsTheTagAloneFromThenOn) {
  const std::vector<Address> tags{tag("MW0"), tag("MW2"), tag("MW4")};
  const PduLimits limits{480, 20};
  const ReadPlan plan = plan_reads(tags, limits, 960);
  ASSERT_EQ(items_of(plan), 1u);
  // MW2 is refused with a hardware fault (0x01), whatever holds it.
  const Answer plc = [](const PlannedItem& item) -> std::uint8_t {
    return item.start <= 2 && item.start + item.count >= 4 ? 0x01 : kReturnCodeSuccess;
  };
  const ItemCodes codes = answer(plan, plc);
  const ReadPlan retry = plan_retry(tags, plan, codes, limits);
  std::vector<TagLesson> lessons(tags.size());
  EXPECT_TRUE(learn(lessons, tags, plan, codes, retry, answer(retry, plc)));
  EXPECT_EQ(lessons[1].lesson, Lesson::alone);
  EXPECT_EQ(lessons[0].lesson, Lesson::merge);
  const ReadPlan learned = plan_with_lessons(tags, lessons, limits, 960);
  expect_within(learned, limits);
  EXPECT_EQ(learned.pdus.size(), 1u) << "the lone item shares the PDU";
  EXPECT_EQ(tags_read(learned).size(), 3u) << "it is still read, so it recovers by itself";
  for (const PlannedPdu& pdu : learned.pdus) {
    for (const PlannedItem& item : pdu.items) {
      if (tags_read(ReadPlan{{PlannedPdu{{item}}}}).count(1) != 0) {
        EXPECT_EQ(item.slices.size(), 1u) << "MW2 has an item of its own";
      }
    }
  }
}

TEST(S7Refusals, WhenOnlyTheMergeIsRefusedNoTagIsMergedAgain) {
  const std::vector<Address> tags{tag("DB10.DBW0"), tag("DB10.DBW4")};
  const PduLimits limits{480, 20};
  const ReadPlan plan = plan_reads(tags, limits, 960);
  ASSERT_EQ(items_of(plan), 1u);
  const Answer plc = [](const PlannedItem& item) -> std::uint8_t { return item.count > 2 ? 0x05 : kReturnCodeSuccess; };
  const ItemCodes codes = answer(plan, plc);
  const ReadPlan retry = plan_retry(tags, plan, codes, limits);
  std::vector<TagLesson> lessons(tags.size());
  EXPECT_TRUE(learn(lessons, tags, plan, codes, retry, answer(retry, plc)));
  EXPECT_EQ(lessons[0].lesson, Lesson::alone);
  EXPECT_EQ(lessons[1].lesson, Lesson::alone);
  const ReadPlan learned = plan_with_lessons(tags, lessons, limits, 960);
  EXPECT_EQ(items_of(learned), 2u);
  EXPECT_EQ(learned.pdus.size(), 1u);
  for (const auto& pdu : answer(learned, plc))
    for (const std::uint8_t code : pdu) EXPECT_EQ(code, kReturnCodeSuccess);
}

TEST(S7Refusals, TagsOfTheSameBytesShareOneRetryItem) {
  std::vector<Address> tags;
  for (int bit = 0; bit < 8; ++bit) tags.push_back(tag("DB10.DBX512." + std::to_string(bit)));
  tags.push_back(tag("DB10.DBW508"));
  const PduLimits limits{960, 20};
  const ReadPlan plan = plan_reads(tags, limits, 960);
  const ItemCodes codes = answer(plan, db10_of(512));
  const ReadPlan retry = plan_retry(tags, plan, codes, limits);
  EXPECT_EQ(items_of(retry), 2u) << "one item for the eight bits of byte 512, one for the word";
  std::vector<TagLesson> lessons(tags.size());
  learn(lessons, tags, plan, codes, retry, answer(retry, db10_of(512)));
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(lessons[i].lesson, Lesson::skip);
  EXPECT_EQ(lessons[8].lesson, Lesson::merge);
}

TEST(S7Refusals, TheRetryIsBoundedByTheTagsAndTheLimits) {
  std::vector<Address> tags;
  for (int offset = 0; offset < 900; offset += 4) tags.push_back(tag("DB10.DBD" + std::to_string(offset), "REAL"));
  const PduLimits limits{240, 20};
  const ReadPlan plan = plan_reads(tags, limits, 960);
  const ItemCodes codes = answer(plan, db10_of(512));
  const ReadPlan retry = plan_retry(tags, plan, codes, limits);
  expect_within(retry, limits);
  EXPECT_LE(items_of(retry), tags.size());
  std::vector<TagLesson> lessons(tags.size());
  learn(lessons, tags, plan, codes, retry, answer(retry, db10_of(512)));
  for (std::size_t i = 0; i < tags.size(); ++i)
    EXPECT_EQ(lessons[i].lesson, tags[i].offset + 4 <= 512 ? Lesson::merge : Lesson::skip) << tags[i].offset;
  const ReadPlan learned = plan_with_lessons(tags, lessons, limits, 960);
  expect_within(learned, limits);
  for (const auto& pdu : answer(learned, db10_of(512)))
    for (const std::uint8_t code : pdu) EXPECT_EQ(code, kReturnCodeSuccess);
}

TEST(S7Refusals, LastingCodes) {
  for (const std::uint8_t code : {0x03, 0x05, 0x06, 0x07, 0x0A}) EXPECT_TRUE(refusal_is_lasting(code)) << int{code};
  for (const std::uint8_t code : {0x00, 0x01, 0xFF}) EXPECT_FALSE(refusal_is_lasting(code)) << int{code};
}

TEST(S7Hints, AddressOutOfRangeOnADataBlockNamesItsLengthAndOptimizedAccess) {
  const std::string text = describe_refusal(0x05, tag("DB10.DBW530"));
  EXPECT_EQ(text.rfind("PLC return code 0x05 (address out of range): DB10 may be shorter than this address "
                       "(its last byte is 531), or it has \"Optimized block access\" on",
                       0),
            0u)
      << text;
  EXPECT_NE(text.find("absolute addresses need it off"), std::string::npos) << text;
}

TEST(S7Hints, ObjectDoesNotExistOnADataBlockNamesOptimizedAccess) {
  const std::string text = describe_refusal(0x0A, tag("DB7.DBD4", "REAL"));
  EXPECT_NE(text.find("PLC return code 0x0A (object does not exist): DB7 does not exist in the PLC, or it has "
                      "\"Optimized block access\" on"),
            std::string::npos)
      << text;
}

TEST(S7Hints, OtherAreasAndCodesHaveNoDataBlockHint) {
  EXPECT_EQ(describe_refusal(0x05, tag("MW600")), "PLC return code 0x05 (address out of range)");
  EXPECT_EQ(describe_refusal(0x03, tag("DB10.DBW0")), "PLC return code 0x03 (access denied)");
}

TEST(S7Hints, FunctionRefusedNamesPutGetAccess) {
  const std::string text = describe_header_error(0x81, 0x04);
  EXPECT_NE(text.find("error class 0x81 code 0x04"), std::string::npos) << text;
  EXPECT_NE(text.find("on an S7-1200/1500, enable \"Permit access with PUT/GET communication from remote partner\" "
                      "in the CPU's protection settings"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace logbot::agent::s7
