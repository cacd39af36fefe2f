#include "common/protocol/refusal.hpp"

#include <array>
#include <string_view>
#include <utility>

#include "common/printable.hpp"

namespace logbot::protocol {
namespace {

namespace proto = ::logbot::uplink;

// The contract's text for each reason (docs/ARCHITECTURE.md, device uplink).
constexpr std::array<std::pair<RefusalReason, std::string_view>, 10> kReasonTexts{{
    {proto::Refusal::BAD_MESSAGE, "bad_message"},
    {proto::Refusal::BAD_HELLO, "bad_hello"},
    {proto::Refusal::SUPERSEDED, "superseded"},
    {proto::Refusal::REVOKED, "revoked"},
    {proto::Refusal::BAD_CSR, "bad_csr"},
    {proto::Refusal::UUID_MISMATCH, "uuid_mismatch"},
    {proto::Refusal::SHUTTING_DOWN, "shutting_down"},
    {proto::Refusal::OVERLOADED, "overloaded"},
    {proto::Refusal::RENEWAL_TOO_SOON, "renewal_too_soon"},
    {proto::Refusal::CERTIFICATE_EXPIRED, "certificate_expired"},
}};

constexpr std::size_t kCodeTextLimit = 64;

}  // namespace

proto::Envelope make_refusal(RefusalReason reason, std::string message) {
  proto::Envelope envelope;
  auto* refusal = envelope.mutable_refusal();
  refusal->set_reason(reason);
  refusal->set_code_text(std::string(reason_text(reason)));
  refusal->set_message(std::move(message));
  return envelope;
}

std::string_view reason_text(RefusalReason reason) {
  for (const auto& [known, text] : kReasonTexts)
    if (known == reason) return text;
  return {};
}

RefusalReason effective_reason(const proto::Refusal& refusal) {
  if (refusal.reason() != proto::Refusal::REASON_UNSPECIFIED) return refusal.reason();
  for (const auto& [reason, text] : kReasonTexts)
    if (refusal.code_text() == text) return reason;
  return proto::Refusal::REASON_UNSPECIFIED;
}

std::string refusal_text(const proto::Refusal& refusal) {
  if (const std::string_view text = reason_text(refusal.reason()); !text.empty()) return std::string(text);
  // Unspecified, or a value this agent does not know: the cloud's own words.
  return printable(refusal.code_text(), kCodeTextLimit);
}

bool ends_session(RefusalReason reason) {
  return reason != proto::Refusal::BAD_CSR && reason != proto::Refusal::UUID_MISMATCH &&
         reason != proto::Refusal::RENEWAL_TOO_SOON;
}

}  // namespace logbot::protocol
