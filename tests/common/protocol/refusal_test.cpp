#include "common/protocol/refusal.hpp"

#include <gtest/gtest.h>

namespace logbot::protocol {
namespace {

namespace proto = ::logbot::uplink;

proto::Refusal refusal(RefusalReason reason, std::string code_text) {
  proto::Refusal out;
  out.set_reason(reason);
  out.set_code_text(std::move(code_text));
  return out;
}

TEST(Refusal, TheEnumDecidesAndNamesTheReason) {
  // A cloud that fills both: the enum wins, even over a disagreeing text.
  const auto revoked = refusal(proto::Refusal::REVOKED, "bad_csr");
  EXPECT_EQ(effective_reason(revoked), proto::Refusal::REVOKED);
  EXPECT_EQ(refusal_text(revoked), "revoked");
  EXPECT_TRUE(ends_session(effective_reason(revoked)));
  EXPECT_EQ(refusal_text(refusal(proto::Refusal::SHUTTING_DOWN, "")), "shutting_down");
  EXPECT_EQ(refusal_text(refusal(proto::Refusal::OVERLOADED, "")), "overloaded");
}

TEST(Refusal, AnOlderCloudIsReadFromItsText) {
  for (const auto& [text, reason] : std::vector<std::pair<std::string, RefusalReason>>{
           {"bad_message", proto::Refusal::BAD_MESSAGE},
           {"bad_hello", proto::Refusal::BAD_HELLO},
           {"superseded", proto::Refusal::SUPERSEDED},
           {"revoked", proto::Refusal::REVOKED},
           {"bad_csr", proto::Refusal::BAD_CSR},
           {"uuid_mismatch", proto::Refusal::UUID_MISMATCH},
           {"shutting_down", proto::Refusal::SHUTTING_DOWN},
           {"overloaded", proto::Refusal::OVERLOADED},
           {"renewal_too_soon", proto::Refusal::RENEWAL_TOO_SOON},
           {"certificate_expired", proto::Refusal::CERTIFICATE_EXPIRED},
       }) {
    const auto old = refusal(proto::Refusal::REASON_UNSPECIFIED, text);
    EXPECT_EQ(effective_reason(old), reason) << text;
    EXPECT_EQ(refusal_text(old), text);
  }
}

TEST(Refusal, OnlyARefusedRenewalLeavesTheSessionUp) {
  EXPECT_FALSE(ends_session(proto::Refusal::BAD_CSR));
  EXPECT_FALSE(ends_session(proto::Refusal::UUID_MISMATCH));
  EXPECT_FALSE(ends_session(proto::Refusal::RENEWAL_TOO_SOON));
  for (auto reason :
       {proto::Refusal::BAD_MESSAGE, proto::Refusal::BAD_HELLO, proto::Refusal::SUPERSEDED, proto::Refusal::REVOKED,
        proto::Refusal::SHUTTING_DOWN, proto::Refusal::OVERLOADED, proto::Refusal::REASON_UNSPECIFIED})
    EXPECT_TRUE(ends_session(reason)) << reason;
}

TEST(Refusal, TheCloudFillsTheEnumAndTheTextForOlderAgents) {
  for (auto reason :
       {proto::Refusal::BAD_MESSAGE, proto::Refusal::BAD_HELLO, proto::Refusal::SUPERSEDED, proto::Refusal::REVOKED,
        proto::Refusal::BAD_CSR, proto::Refusal::UUID_MISMATCH, proto::Refusal::SHUTTING_DOWN,
        proto::Refusal::OVERLOADED, proto::Refusal::RENEWAL_TOO_SOON, proto::Refusal::CERTIFICATE_EXPIRED}) {
    const proto::Envelope made = make_refusal(reason, "why");
    ASSERT_TRUE(made.has_refusal());
    EXPECT_EQ(made.refusal().reason(), reason);
    EXPECT_EQ(made.refusal().message(), "why");
    EXPECT_FALSE(made.refusal().code_text().empty()) << reason;
    // An agent that knows only the text reads the same reason.
    EXPECT_EQ(effective_reason(refusal(proto::Refusal::REASON_UNSPECIFIED, made.refusal().code_text())), reason);
  }
  EXPECT_EQ(reason_text(proto::Refusal::REASON_UNSPECIFIED), "");
}

TEST(Refusal, AnUnknownReasonEndsTheSessionAndShowsTheCloudsTextSafely) {
  const auto newer = refusal(proto::Refusal::REASON_UNSPECIFIED, "throttled\x1b[2J\xC2\x9B");
  EXPECT_EQ(effective_reason(newer), proto::Refusal::REASON_UNSPECIFIED);
  EXPECT_TRUE(ends_session(effective_reason(newer)));
  EXPECT_EQ(refusal_text(newer), "throttled?[2J?");
  EXPECT_EQ(refusal_text(refusal(proto::Refusal::REASON_UNSPECIFIED, std::string(200, 'x'))).size(), 64u);
  // A reason value newer than this agent (an open proto3 enum): its text is the cloud's.
  const auto future = refusal(static_cast<RefusalReason>(42), "rate_limited");
  EXPECT_EQ(refusal_text(future), "rate_limited");
  EXPECT_TRUE(ends_session(effective_reason(future)));
}

}  // namespace
}  // namespace logbot::protocol
