#include "agent/uplink/renewal_schedule.hpp"

#include <gtest/gtest.h>

#include "agent/uplink/device_identity.hpp"

namespace logbot::agent::uplink {
namespace {

constexpr std::int64_t kStart = 1'795'823'941'123;

TEST(RenewalSchedule, DueAtTheCertificatesDueTime) {
  ManualClock clock(kStart);
  RenewalSchedule schedule(clock, kStart + 5000);
  EXPECT_FALSE(schedule.request_due());
  EXPECT_EQ(schedule.ms_until_due(), 5000);
  clock.advance_ms(4999);
  EXPECT_FALSE(schedule.request_due());
  EXPECT_EQ(schedule.ms_until_due(), 1);
  clock.advance_ms(1);
  EXPECT_TRUE(schedule.request_due());
  EXPECT_EQ(schedule.ms_until_due(), 0);
}

TEST(RenewalSchedule, AnUnansweredRequestIsRepeatedAfterTheAnswerTimeout) {
  ManualClock clock(kStart);
  RenewalSchedule schedule(clock, kStart);
  ASSERT_TRUE(schedule.request_due());
  schedule.requested("key 1");
  EXPECT_TRUE(schedule.pending());
  EXPECT_FALSE(schedule.request_due());
  EXPECT_EQ(schedule.ms_until_due(), RenewalSchedule::kAnswerTimeoutMs + 1);
  clock.advance_ms(RenewalSchedule::kAnswerTimeoutMs);
  EXPECT_FALSE(schedule.request_due());  // exactly the timeout: still waiting
  clock.advance_ms(1);
  EXPECT_TRUE(schedule.request_due());
  schedule.requested("key 2");  // a new key replaces the old one
  EXPECT_EQ(schedule.take_key(), "key 2");
  EXPECT_FALSE(schedule.pending());
  EXPECT_EQ(schedule.take_key(), std::nullopt);
}

TEST(RenewalSchedule, AFailedOrRefusedRenewalIsRetriedAfterAPause) {
  ManualClock clock(kStart);
  RenewalSchedule schedule(clock, kStart);
  schedule.requested("key");
  clock.advance_ms(700);
  schedule.retry_later();
  EXPECT_FALSE(schedule.pending());
  EXPECT_EQ(schedule.due_ms(), kStart + 700 + RenewalSchedule::kRetryMs);
  EXPECT_EQ(schedule.ms_until_due(), RenewalSchedule::kRetryMs);
  clock.advance_ms(RenewalSchedule::kRetryMs);
  EXPECT_TRUE(schedule.request_due());
}

TEST(RenewalSchedule, ARenewedCertificateSetsTheNextDueTime) {
  ManualClock clock(kStart);
  RenewalSchedule schedule(clock, kStart);
  schedule.requested("key");
  ASSERT_TRUE(schedule.take_key());
  schedule.renewed(kStart + 4000);
  EXPECT_FALSE(schedule.request_due());
  EXPECT_EQ(schedule.ms_until_due(), 4000);
  // A clock set back (NTP after a boot without a real-time clock) delays it accordingly.
  clock.advance_ms(-10'000);
  EXPECT_EQ(schedule.ms_until_due(), 14'000);
}

TEST(CertificateValidity, AFreshCertificateIsDueTwoThirdsIntoWhatRemainsOfIt) {
  // The cloud backdates not_before by five minutes; a six-second certificate is then due four
  // seconds after it arrived, not at once (which would renew it again and again).
  const CertificateValidity validity{kStart - 300'000, kStart + 6'000, "01"};
  EXPECT_EQ(validity.renewal_due_ms(kStart), kStart + 4'000);
  // A certificate read from disk at start-up counts from not_before.
  EXPECT_EQ(validity.renewal_due_ms(), kStart - 300'000 + 306'000 * 2 / 3);
  // An arrival time after not_after is clamped: due at not_after, never later.
  EXPECT_EQ(validity.renewal_due_ms(kStart + 60'000), kStart + 6'000);
}

}  // namespace
}  // namespace logbot::agent::uplink
