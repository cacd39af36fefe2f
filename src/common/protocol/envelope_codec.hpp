// The uplink's framing: one binary WebSocket message holds exactly one protobuf
// logbot.uplink.Envelope (docs/ARCHITECTURE.md, device uplink). Decoding is a pure function over the bytes a
// peer sent, with the codes of common/protocol/error.hpp, so unit tests and a fuzz target call it directly (library
// logbot_protocol: no Asio, no coroutines); the I/O layers (the agent's uplink client, the cloud's
// device server) only move bytes.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "common/protocol/error.hpp"
#include "common/protocol/uplink.pb.h"

namespace logbot::protocol {

// The contract's limit for one message, in both directions.
inline constexpr std::size_t kMaximumEnvelopeBytes = 1024 * 1024;

// The Envelope in `bytes`; empty, too_large, malformed or no_body otherwise.
Result<logbot::uplink::Envelope> decode_envelope(std::string_view bytes);

// The wire form of `envelope` (deterministic for a given message).
std::string encode_envelope(const logbot::uplink::Envelope& envelope);

}  // namespace logbot::protocol
