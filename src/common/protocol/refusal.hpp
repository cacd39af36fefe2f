// A Refusal on the uplink, for both ends. The reason travels as an enum (Refusal.reason) and,
// for agents older than that field, as text (code_text); a cloud older than the enum sends only
// the text. Programs branch on the enum and read the text only when the enum is unspecified.
// Pure: unit tests call it directly.
#pragma once
#include <string>
#include <string_view>

#include "common/protocol/uplink.pb.h"

namespace logbot::protocol {

using RefusalReason = ::logbot::uplink::Refusal::Reason;

// An Envelope holding a Refusal with `reason`, its contract text and `message` (one sentence).
::logbot::uplink::Envelope make_refusal(RefusalReason reason, std::string message);

// The contract's text for a reason ("revoked", "bad_csr"); empty for an unspecified or unknown one.
std::string_view reason_text(RefusalReason reason);

// The reason to act on: `reason` when set, else the one `code_text` names; unspecified when
// neither is known (a newer peer's reason).
RefusalReason effective_reason(const ::logbot::uplink::Refusal& refusal);

// The reason as a log shows it: derived from the enum, or the peer's own text (made printable,
// at most 64 bytes) when the enum is unspecified.
std::string refusal_text(const ::logbot::uplink::Refusal& refusal);

// A refused renewal (a CSR the cloud would not sign, or one asked for too soon) leaves the session
// up: the agent asks again later with a new key. Every other refusal, an unknown one included, precedes the cloud's
// close.
bool ends_session(RefusalReason reason);

}  // namespace logbot::protocol
