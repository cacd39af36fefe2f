#include "common/protocol/outbound_queue.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace logbot::protocol {
namespace {

namespace proto = ::logbot::uplink;

proto::Envelope heartbeat(std::int64_t sent_ms) {
  proto::Envelope envelope;
  envelope.mutable_heartbeat()->set_sent_ms(sent_ms);
  return envelope;
}

proto::Envelope renew_request(std::string csr) {
  proto::Envelope envelope;
  envelope.mutable_renew_request()->set_csr_pem(std::move(csr));
  return envelope;
}

// Stands for the later batch stream: a credit-controlled type.
constexpr BodyCase kStream = proto::Envelope::kRenewResponse;
proto::Envelope stream_message(std::int64_t expires_ms) {
  proto::Envelope envelope;
  envelope.mutable_renew_response()->set_expires_ms(expires_ms);
  return envelope;
}

// The body of every message the writer would send now, in order.
std::vector<std::string> drain(OutboundQueue& queue) {
  std::vector<std::string> sent;
  while (auto next = queue.pop()) {
    if (next->has_heartbeat()) sent.push_back("heartbeat " + std::to_string(next->heartbeat().sent_ms()));
    if (next->has_renew_request()) sent.push_back("renew " + next->renew_request().csr_pem());
    if (next->has_renew_response()) sent.push_back("stream " + std::to_string(next->renew_response().expires_ms()));
  }
  return sent;
}

TEST(OutboundQueue, SendsInOrderOfArrivalAcrossTypes) {
  OutboundQueue queue(8);
  ASSERT_TRUE(queue.push(heartbeat(1)));
  ASSERT_TRUE(queue.push(renew_request("a")));
  ASSERT_TRUE(queue.push(heartbeat(2)));
  EXPECT_TRUE(queue.ready());
  EXPECT_EQ(queue.waiting(), 3u);
  EXPECT_EQ(drain(queue), (std::vector<std::string>{"heartbeat 1", "renew a", "heartbeat 2"}));
  EXPECT_FALSE(queue.ready());
  EXPECT_FALSE(queue.pop());
}

TEST(OutboundQueue, EachTypeIsBounded) {
  OutboundQueue queue(2);
  ASSERT_TRUE(queue.push(heartbeat(1)));
  ASSERT_TRUE(queue.push(heartbeat(2)));
  auto full = queue.push(heartbeat(3));
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ErrorCode::queue_full);
  EXPECT_NE(full.error().message.find("2 messages"), std::string::npos) << full.error().message;
  // Another type still has room.
  EXPECT_TRUE(queue.push(renew_request("a")));
  queue.pop();
  EXPECT_TRUE(queue.push(heartbeat(3)));
}

TEST(OutboundQueue, AStreamWithoutCreditWaitsWithoutHoldingBackHeartbeats) {
  OutboundQueue queue(8);
  queue.limit(kStream, 1, 4);
  ASSERT_TRUE(queue.push(stream_message(10)));
  ASSERT_TRUE(queue.push(stream_message(11)));
  ASSERT_TRUE(queue.push(heartbeat(1)));
  ASSERT_TRUE(queue.push(stream_message(12)));
  ASSERT_TRUE(queue.push(renew_request("a")));
  // One credit: the first stream message goes; the others wait, control messages pass them.
  EXPECT_EQ(drain(queue), (std::vector<std::string>{"stream 10", "heartbeat 1", "renew a"}));
  EXPECT_EQ(queue.credit(kStream), 0u);
  EXPECT_EQ(queue.waiting(kStream), 2u);
  EXPECT_FALSE(queue.ready());
  // The cloud acknowledged: two more may go, in their order.
  queue.grant(kStream, 1);
  ASSERT_TRUE(queue.push(heartbeat(2)));
  EXPECT_EQ(drain(queue), (std::vector<std::string>{"stream 11", "heartbeat 2"}));
  queue.grant(kStream, 5);
  EXPECT_EQ(drain(queue), (std::vector<std::string>{"stream 12"}));
  EXPECT_EQ(queue.credit(kStream), 4u);
  // Its own bound applies.
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(queue.push(stream_message(20 + i)));
  queue.grant(kStream, 0);
  EXPECT_EQ(queue.push(stream_message(30)).error().code, ErrorCode::queue_full);
  // An uncontrolled type has no credit to grant.
  queue.grant(proto::Envelope::kHeartbeat, 3);
  EXPECT_EQ(queue.credit(proto::Envelope::kHeartbeat), UINT64_MAX);
}

TEST(OutboundQueue, WakesTheWriterOnlyWhenSomethingBecameSendable) {
  OutboundQueue queue(8);
  int wakes = 0;
  queue.on_ready = [&] { ++wakes; };
  queue.limit(kStream, 0, 4);
  ASSERT_TRUE(queue.push(stream_message(1)));  // no credit: nothing to wake for
  EXPECT_EQ(wakes, 0);
  queue.grant(kStream, 1);
  EXPECT_EQ(wakes, 1);
  ASSERT_TRUE(queue.push(heartbeat(1)));
  EXPECT_EQ(wakes, 2);
  queue.grant(proto::Envelope::kHeartbeat, 1);  // not credit-controlled: no effect
  EXPECT_EQ(wakes, 2);
  queue.close();
  EXPECT_EQ(wakes, 3);
}

TEST(OutboundQueue, AClosedQueueRefusesAndDropsWhatWaits) {
  OutboundQueue queue(8);
  ASSERT_TRUE(queue.push(heartbeat(1)));
  queue.close();
  EXPECT_TRUE(queue.closed());
  EXPECT_FALSE(queue.pop());
  EXPECT_EQ(queue.waiting(), 0u);
  auto refused = queue.push(heartbeat(2));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::stopped);
}

}  // namespace
}  // namespace logbot::protocol
