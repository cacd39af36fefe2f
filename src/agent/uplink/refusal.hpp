// A Refusal from the cloud, as the agent acts on it. The cloud names the reason as an enum
// (Refusal.reason) and, for agents older than that field, as text (code_text); a cloud older
// than the enum sends only the text. The agent branches on the enum and reads the text only
// when the enum is unspecified. Pure: unit tests call it directly.
#pragma once
#include <string>

#include "common/protocol/uplink.pb.h"

namespace logbot::agent::uplink {

using RefusalReason = ::logbot::uplink::Refusal::Reason;

// The reason to act on: `reason` when set, else the one `code_text` names; unspecified when
// neither is known (a newer cloud's reason).
RefusalReason effective_reason(const ::logbot::uplink::Refusal& refusal);

// The reason as the log shows it ("revoked", "bad_csr"): derived from the enum, or the cloud's
// own text (made printable, at most 64 bytes) when the enum is unspecified.
std::string refusal_text(const ::logbot::uplink::Refusal& refusal);

// A refused renewal (a CSR the cloud would not sign) leaves the session up: the agent asks again
// later with a new key. Every other refusal, an unknown one included, precedes the cloud's close.
bool ends_session(RefusalReason reason);

}  // namespace logbot::agent::uplink
