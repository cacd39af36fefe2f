// Splitting a refused Modbus request: where it is cut, the request for each half, the plan
// that skips refused tags and honours learned cuts, and the texts naming the unit id.
#include "agent/modbus/modbus_refusals.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <numeric>
#include <vector>

namespace logbot::agent::modbus {
namespace {

Address tag(std::string_view text, std::string_view type = {}) {
  auto parsed = parse_address(text, type);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.has_value() ? *parsed : Address{};
}

std::vector<std::size_t> all(std::size_t n) {
  std::vector<std::size_t> members(n);
  std::iota(members.begin(), members.end(), std::size_t{0});
  return members;
}

TEST(ModbusRefusals, SplitsAtTheWidestGap) {
  std::vector<Address> tags;
  for (int offset = 0; offset <= 190; offset += 10) tags.push_back(tag("hr:" + std::to_string(offset)));
  tags.push_back(tag("hr:205"));
  auto split = split_request(tags, all(tags.size()));
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->second, (std::vector<std::size_t>{20}));
  EXPECT_EQ(split->first.size(), 20u);
  EXPECT_EQ(split->cut, 205);
}

TEST(ModbusRefusals, EqualGapsSplitInTheMiddle) {
  std::vector<Address> tags;
  for (int offset = 0; offset < 80; offset += 10) tags.push_back(tag("hr:" + std::to_string(offset), "FLOAT32"));
  auto split = split_request(tags, all(tags.size()));
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->first.size(), 4u);
  EXPECT_EQ(split->second.size(), 4u);
  EXPECT_EQ(split->cut, 40);
}

TEST(ModbusRefusals, AdjacentTagsSplitOverlappingOnesDoNot) {
  const std::vector<Address> adjacent{tag("hr:10"), tag("hr:11")};
  auto split = split_request(adjacent, all(2));
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->cut, 11);
  const std::vector<Address> overlapping{tag("hr:10", "FLOAT32"), tag("hr:11"), tag("hr:10.3")};
  EXPECT_FALSE(split_request(overlapping, all(3)).has_value());
  const std::vector<Address> one{tag("hr:10")};
  EXPECT_FALSE(split_request(one, all(1)).has_value());
}

TEST(ModbusRefusals, EveryTagEndsInExactlyOneLeafWithinABoundedNumberOfRequests) {
  // A device whose holding registers exist at 0..99 and 150..199: a request is refused when it
  // reaches any other register. Bisection as the driver does it, counting requests.
  std::vector<Address> tags;
  for (int offset = 0; offset < 260; offset += 13) tags.push_back(tag("hr:" + std::to_string(offset)));
  const auto readable = [](const ReadRequest& r) {
    const std::size_t end = std::size_t{r.start} + r.count;
    return end <= 100 || (r.start >= 150 && end <= 200);
  };
  std::size_t requests = 0;
  std::vector<int> bad(tags.size(), 0), good(tags.size(), 0);
  std::vector<std::uint16_t> cuts;
  std::function<bool(const std::vector<std::size_t>&)> settle = [&](const std::vector<std::size_t>& members) {
    auto split = split_request(tags, members);
    if (!split) {
      for (const std::size_t m : members) ++bad[m];
      return true;
    }
    bool any_bad = false;
    for (const auto* half : {&split->first, &split->second}) {
      std::vector<std::size_t> offsets;
      const ReadRequest request = request_for(tags, *half, offsets);
      ++requests;
      if (readable(request)) {
        for (const std::size_t m : *half) ++good[m];
        continue;
      }
      any_bad = settle(request.tags) || any_bad;
    }
    if (!any_bad) cuts.push_back(split->cut);
    return any_bad;
  };
  settle(all(tags.size()));
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const bool exists = tags[i].offset < 100 || (tags[i].offset >= 150 && tags[i].offset < 200);
    EXPECT_EQ(good[i] + bad[i], 1) << tags[i].offset;
    EXPECT_EQ(bad[i], exists ? 0 : 1) << tags[i].offset;
  }
  EXPECT_LE(requests, 2 * (tags.size() - 1));
  EXPECT_TRUE(cuts.empty()) << "every refused part held a bad tag";
}

TEST(ModbusRefusals, RequestForCoversItsTags) {
  const std::vector<Address> tags{tag("hr:20", "FLOAT32"), tag("hr:12"), tag("hr:15.2")};
  std::vector<std::size_t> offsets;
  const std::vector<std::size_t> members{0, 2, 1};
  const ReadRequest request = request_for(tags, members, offsets);
  EXPECT_EQ(request.table, Table::holding_registers);
  EXPECT_EQ(request.start, 12);
  EXPECT_EQ(request.count, 10);
  EXPECT_EQ(request.tags, members);
  EXPECT_EQ(offsets, (std::vector<std::size_t>{8, 3, 0}));
}

TEST(ModbusRefusals, SkippedTagsAreNotReadAndCutsAreNotReadAcross) {
  const std::vector<Address> tags{tag("hr:0"), tag("hr:5"), tag("hr:10"), tag("hr:300")};
  const PlanLimits limits{125, kMaxReadBits, 20};
  ReadPlan plain = plan_reads(tags, limits);
  ASSERT_EQ(plain.requests.size(), 2u);

  const std::vector<unsigned> skip{0, 0, 0, 2};
  const ReadPlan skipped = plan_with_lessons(tags, skip, limits);
  ASSERT_EQ(skipped.requests.size(), 1u);
  EXPECT_EQ(skipped.requests[0].tags, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(skipped.placements[3].request, std::numeric_limits<std::size_t>::max());
  EXPECT_EQ(skipped.placements[2].offset, 10u);
  EXPECT_EQ(skipped.bytes, 22u);

  const std::vector<Cut> hr5{{Table::holding_registers, 5}};
  const ReadPlan cut = plan_with_lessons(tags, skip, limits, hr5);
  ASSERT_EQ(cut.requests.size(), 2u);
  EXPECT_EQ(cut.requests[0].count, 1);
  EXPECT_EQ(cut.requests[1].start, 5);
  EXPECT_EQ(cut.requests[1].tags, (std::vector<std::size_t>{1, 2}));

  const std::vector<Cut> ir5{{Table::input_registers, 5}};
  EXPECT_EQ(plan_with_lessons(tags, skip, limits, ir5).requests.size(), 1u) << "a cut belongs to its table";
}

TEST(ModbusRefusals, OnlyExceptionsAboutTheMapSplit) {
  for (const unsigned code : {1u, 2u, 3u}) EXPECT_TRUE(exception_splits(code)) << code;
  for (const unsigned code : {4u, 5u, 6u, 10u, 11u}) EXPECT_FALSE(exception_splits(code)) << code;
}

TEST(ModbusHints, GatewayExceptionsAndSilenceNameTheUnitId) {
  EXPECT_EQ(describe_refusal(2, 1), "Modbus exception 2 (illegal data address)");
  EXPECT_EQ(describe_refusal(11, 7),
            "Modbus exception 11 (gateway target device failed to respond); check unit_id (7): a gateway answers so "
            "when no device with that unit id answers behind it");
  EXPECT_NE(describe_refusal(10, 3).find("check unit_id (3)"), std::string::npos);
  EXPECT_EQ(describe_silence(2000, 9),
            "no answer within 2000 ms although the TCP connection stands; check unit_id (9): many devices and "
            "gateways stay silent for a unit id that is not theirs");
}

}  // namespace
}  // namespace logbot::agent::modbus
