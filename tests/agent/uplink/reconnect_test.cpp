// ReconnectPolicy: endpoints in order, exponential backoff 1 s doubling to 60 s, full jitter
// (a uniform draw from [0, ceiling]), reset after an established session. The random source is
// injected, so the delays are exact.
#include "agent/uplink/reconnect.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <vector>

namespace logbot::agent {
namespace {

using std::chrono::milliseconds;

// Always the top of the range: the delay equals the ceiling, which makes the doubling visible.
constexpr double kTop = 0.9999999999;

ReconnectPolicy::UnitRandom constant(double value) {
  return [value] { return value; };
}

TEST(ReconnectPolicy, OneEndpointDoublesFromOneSecondToSixtySeconds) {
  ReconnectPolicy policy(1, constant(kTop));
  std::vector<long> delays;
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(policy.endpoint(), 0u);
    delays.push_back(static_cast<long>(policy.after_failure().count()));
  }
  EXPECT_EQ(delays, (std::vector<long>{1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000}));
}

TEST(ReconnectPolicy, RetriesForeverWithoutOverflow) {
  ReconnectPolicy policy(1, constant(kTop));
  for (int i = 0; i < 10000; ++i) {
    const milliseconds delay = policy.after_failure();
    ASSERT_GE(delay.count(), 0);
    ASSERT_LE(delay, milliseconds(60000));
  }
  EXPECT_EQ(policy.after_failure(), milliseconds(60000));
}

TEST(ReconnectPolicy, FullJitterDrawsFromZeroToTheCeiling) {
  std::deque<double> draws{0.0, 0.5, 0.25, kTop};
  ReconnectPolicy policy(1, [&] {
    const double value = draws.front();
    draws.pop_front();
    return value;
  });
  EXPECT_EQ(policy.after_failure(), milliseconds(0));     // ceiling 1 s, draw 0
  EXPECT_EQ(policy.after_failure(), milliseconds(1000));  // ceiling 2 s, draw 0.5 (of 2001 steps)
  EXPECT_EQ(policy.after_failure(), milliseconds(1000));  // ceiling 4 s, draw 0.25
  EXPECT_EQ(policy.after_failure(), milliseconds(8000));  // ceiling 8 s, top
}

TEST(ReconnectPolicy, OutOfRangeRandomValuesAreClamped) {
  ReconnectPolicy low(1, constant(-3.0));
  EXPECT_EQ(low.after_failure(), milliseconds(0));
  ReconnectPolicy high(1, constant(7.0));
  EXPECT_EQ(high.after_failure(), milliseconds(1000));
  ReconnectPolicy not_a_number(1, constant(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_EQ(not_a_number.after_failure(), milliseconds(0));
}

TEST(ReconnectPolicy, EndpointsAreTriedInOrderWithoutDelayWithinARound) {
  ReconnectPolicy policy(3, constant(kTop));
  EXPECT_EQ(policy.endpoint(), 0u);
  EXPECT_EQ(policy.after_failure(), milliseconds(0));
  EXPECT_EQ(policy.endpoint(), 1u);
  EXPECT_EQ(policy.after_failure(), milliseconds(0));
  EXPECT_EQ(policy.endpoint(), 2u);
  // The round failed: back to the first, after the round's delay.
  EXPECT_EQ(policy.after_failure(), milliseconds(1000));
  EXPECT_EQ(policy.endpoint(), 0u);
  policy.after_failure();
  policy.after_failure();
  EXPECT_EQ(policy.after_failure(), milliseconds(2000));
  EXPECT_EQ(policy.endpoint(), 0u);
}

TEST(ReconnectPolicy, ALostSessionStartsAgainFromTheFirstEndpointAndTheInitialCeiling) {
  ReconnectPolicy policy(2, constant(kTop));
  for (int i = 0; i < 12; ++i) policy.after_failure();  // six failed rounds: ceiling 60 s
  EXPECT_EQ(policy.next_ceiling(), milliseconds(60000));
  policy.after_failure();  // endpoint 1 now, and it connects
  EXPECT_EQ(policy.endpoint(), 1u);
  EXPECT_EQ(policy.after_connection_lost(), milliseconds(1000));
  EXPECT_EQ(policy.endpoint(), 0u);
  EXPECT_EQ(policy.after_failure(), milliseconds(0));
  EXPECT_EQ(policy.after_failure(), milliseconds(2000));
}

TEST(ReconnectPolicy, CustomLimits) {
  ReconnectPolicy policy(1, constant(kTop), BackoffLimits{milliseconds(100), milliseconds(250)});
  EXPECT_EQ(policy.after_failure(), milliseconds(100));
  EXPECT_EQ(policy.after_failure(), milliseconds(200));
  EXPECT_EQ(policy.after_failure(), milliseconds(250));
}

TEST(ReconnectPolicy, DefaultRandomIsUniformInTheUnitInterval) {
  auto random = ReconnectPolicy::default_random();
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    const double value = random();
    ASSERT_GE(value, 0.0);
    ASSERT_LT(value, 1.0);
    sum += value;
  }
  EXPECT_NEAR(sum / 10000, 0.5, 0.05);
}

}  // namespace
}  // namespace logbot::agent
