// The uplink framing: one message = one Envelope; every kind of bad input is an error value
// (empty, too large, not protobuf, truncated, no known body), never an exception or a crash.
#include "common/protocol/envelope_codec.hpp"

#include <gtest/gtest.h>

namespace logbot::protocol {
namespace {

logbot::uplink::Envelope hello() {
  logbot::uplink::Envelope envelope;
  envelope.mutable_hello()->set_device_uuid("3f1c2a9e-6a47-4a8e-9a51-0c1a7f3b2d10");
  envelope.mutable_hello()->set_agent_version("0.1.0");
  envelope.mutable_hello()->mutable_buffer()->set_pending_batches(3);
  return envelope;
}

TEST(EnvelopeCodec, RoundTrips) {
  const std::string bytes = encode_envelope(hello());
  auto decoded = decode_envelope(bytes);
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_TRUE(decoded->has_hello());
  EXPECT_EQ(decoded->hello().device_uuid(), "3f1c2a9e-6a47-4a8e-9a51-0c1a7f3b2d10");
  EXPECT_EQ(decoded->hello().buffer().pending_batches(), 3u);
}

TEST(EnvelopeCodec, EmptyAndOversizedMessagesAreRefused) {
  EXPECT_EQ(decode_envelope("").error().code, ErrorCode::empty);
  EXPECT_EQ(decode_envelope(std::string(kMaximumEnvelopeBytes + 1, '\0')).error().code, ErrorCode::too_large);
}

TEST(EnvelopeCodec, GarbageAndTruncationAreMalformed) {
  EXPECT_EQ(decode_envelope("\xff\xff\xff\xff").error().code, ErrorCode::malformed);
  const std::string bytes = encode_envelope(hello());
  for (std::size_t length = 1; length < bytes.size(); ++length) {
    auto decoded = decode_envelope(std::string_view(bytes).substr(0, length));
    EXPECT_FALSE(decoded) << "a prefix of " << length << " bytes was accepted";
  }
}

TEST(EnvelopeCodec, AnUnknownKindHasNoBody) {
  // Field 99, varint 1: valid protobuf, a message kind of a newer peer.
  EXPECT_EQ(decode_envelope(std::string("\x98\x06\x01", 3)).error().code, ErrorCode::no_body);
}

TEST(EnvelopeCodec, ErrorsSayWhatWasWrong) {
  EXPECT_EQ(decode_envelope(std::string(kMaximumEnvelopeBytes + 1, '\0')).error().message,
            "an uplink message larger than 1 MiB");
  EXPECT_EQ(decode_envelope("").error().message, "an empty uplink message");
  EXPECT_EQ(decode_envelope(std::string("\x98\x06\x01", 3)).error().message,
            "an uplink message of a kind this version does not know");
}

}  // namespace
}  // namespace logbot::protocol
