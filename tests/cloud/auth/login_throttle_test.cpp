#include "cloud/auth/login_throttle.hpp"

#include <gtest/gtest.h>

namespace logbot::cloud {
namespace {

LockoutPolicy policy() {
  LockoutPolicy p;
  p.account_failure_factor = 3;
  p.ip_failure_factor = 10;
  p.wait_increment_ms = 60'000;
  p.max_wait_ms = 150'000;
  p.failure_reset_ms = 3600'000;
  return p;
}

TEST(LoginThrottle, LocksAnAccountAfterFactorFailuresWithGrowingWait) {
  ManualClock clock(0);
  LoginThrottle throttle(clock, policy());
  EXPECT_FALSE(throttle.record_failure("alice@example.com", "10.0.0.1").locked_for_ms);
  EXPECT_FALSE(throttle.record_failure("alice@example.com", "10.0.0.2").locked_for_ms);
  auto third = throttle.record_failure("alice@example.com", "10.0.0.3");
  ASSERT_TRUE(third.locked_for_ms);
  EXPECT_EQ(*third.locked_for_ms, 60'000);
  EXPECT_TRUE(third.account_locked);
  EXPECT_EQ(throttle.retry_after_ms("ALICE@example.com", "10.9.9.9"), 60'000);  // case-insensitive key
  clock.advance_ms(60'000);
  EXPECT_FALSE(throttle.retry_after_ms("alice@example.com", "10.0.0.1"));
  throttle.record_failure("alice@example.com", "10.0.0.1");
  throttle.record_failure("alice@example.com", "10.0.0.1");
  EXPECT_EQ(*throttle.record_failure("alice@example.com", "10.0.0.1").locked_for_ms, 120'000);
  clock.advance_ms(120'000);
  for (int i = 0; i < 2; ++i) throttle.record_failure("alice@example.com", "10.0.0.1");
  EXPECT_EQ(*throttle.record_failure("alice@example.com", "10.0.0.1").locked_for_ms, 150'000);  // capped
}

TEST(LoginThrottle, UnknownAccountsAreThrottledLikeKnownOnes) {
  ManualClock clock(0);
  LoginThrottle throttle(clock, policy());
  for (int i = 0; i < 3; ++i) throttle.record_failure("nobody@example.com", "10.0.0.1");
  EXPECT_TRUE(throttle.retry_after_ms("nobody@example.com", "10.0.0.2"));
}

TEST(LoginThrottle, CountsPerSourceAddressAcrossAccounts) {
  ManualClock clock(0);
  LoginThrottle throttle(clock, policy());
  for (int i = 0; i < 9; ++i) EXPECT_FALSE(throttle.record_failure("user" + std::to_string(i), "10.0.0.66").ip_locked);
  auto tenth = throttle.record_failure("user9", "10.0.0.66");
  EXPECT_TRUE(tenth.ip_locked);
  EXPECT_TRUE(throttle.retry_after_ms("fresh@example.com", "10.0.0.66"));
  EXPECT_FALSE(throttle.retry_after_ms("fresh@example.com", "10.0.0.67"));
}

TEST(LoginThrottle, SuccessAndTimeResetTheAccountCount) {
  ManualClock clock(0);
  LoginThrottle throttle(clock, policy());
  throttle.record_failure("a", "ip");
  throttle.record_failure("a", "ip");
  throttle.record_success("a");
  EXPECT_FALSE(throttle.record_failure("a", "ip").locked_for_ms);
  throttle.record_failure("a", "ip");
  clock.advance_ms(3600'001);
  EXPECT_FALSE(throttle.record_failure("a", "ip").locked_for_ms);  // old failures forgotten
}

TEST(LoginThrottle, BoundedMemoryUnderManyKeys) {
  ManualClock clock(0);
  LockoutPolicy p = policy();
  p.max_tracked_keys = 1000;
  p.ip_failure_factor = 1'000'000;
  LoginThrottle throttle(clock, p);
  for (int i = 0; i < 5000; ++i) {
    throttle.record_failure("spray" + std::to_string(i), "10.0.0.1");
    clock.advance_ms(100'000);
  }
  // Two keys per failure (account and address), evicted before each: never more than one over.
  EXPECT_LE(throttle.tracked_keys(), p.max_tracked_keys + 1);
  // Eviction keeps working: a fresh account can still be locked and is reported.
  for (int i = 0; i < 3; ++i) throttle.record_failure("target", "10.0.0.2");
  EXPECT_TRUE(throttle.retry_after_ms("target", "10.0.0.3"));
}

TEST(LoginThrottle, BoundedMemoryWhenEveryKeyIsRecent) {
  // A spray faster than wait_increment: nothing is old enough to forget, the oldest half goes.
  ManualClock clock(0);
  LockoutPolicy p = policy();
  p.max_tracked_keys = 1000;
  p.ip_failure_factor = 1'000'000;
  LoginThrottle throttle(clock, p);
  for (int i = 0; i < 5000; ++i) {
    throttle.record_failure("spray" + std::to_string(i), "10.0.0.1");
    clock.advance_ms(1);
  }
  EXPECT_LE(throttle.tracked_keys(), p.max_tracked_keys + 1);
  // A locked account is never what eviction forgets.
  for (int i = 0; i < 3; ++i) throttle.record_failure("target", "10.0.0.2");
  for (int i = 0; i < 3000; ++i) throttle.record_failure("later" + std::to_string(i), "10.0.0.1");
  EXPECT_TRUE(throttle.retry_after_ms("target", "10.0.0.3"));
}

TEST(LoginThrottle, AnAddressLockoutReportsTheAddressCount) {
  ManualClock clock(0);
  LoginThrottle throttle(clock, policy());  // an address locks at 10 failures
  LoginThrottle::FailureOutcome last;
  for (int i = 0; i < 10; ++i) last = throttle.record_failure("user" + std::to_string(i) + "@example.com", "10.0.0.1");
  ASSERT_TRUE(last.locked_for_ms);
  EXPECT_TRUE(last.ip_locked);
  EXPECT_FALSE(last.account_locked);
  EXPECT_EQ(last.ip_failures, 10);
  EXPECT_EQ(last.account_failures, 1);
}

}  // namespace
}  // namespace logbot::cloud
