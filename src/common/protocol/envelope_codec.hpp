// The uplink's framing: one binary WebSocket message holds exactly one protobuf
// logbot.uplink.Envelope (docs/ARCHITECTURE.md, device uplink). Decoding is a pure function over the bytes a
// peer sent, with its own error enum, so unit tests and a fuzz target call it directly (library
// logbot_protocol: no Asio, no coroutines); the I/O layers (the agent's uplink client, the cloud's
// device server) only move bytes.
#pragma once
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

#include "common/protocol/uplink.pb.h"

namespace logbot::protocol {

// The contract's limit for one message, in both directions.
inline constexpr std::size_t kMaximumEnvelopeBytes = 1024 * 1024;

enum class EnvelopeError {
  empty = 1,  // a zero-length message (an Envelope always carries a body)
  too_large,  // more than kMaximumEnvelopeBytes
  malformed,  // not a valid protobuf encoding of an Envelope
  no_body,    // valid, but none of the oneof members this version knows is set
};

const boost::system::error_category& envelope_error_category();
boost::system::error_code make_error_code(EnvelopeError error);

boost::system::result<logbot::uplink::Envelope> decode_envelope(std::string_view bytes);

// The wire form of `envelope` (deterministic for a given message).
std::string encode_envelope(const logbot::uplink::Envelope& envelope);

}  // namespace logbot::protocol

template <>
struct boost::system::is_error_code_enum<logbot::protocol::EnvelopeError> : std::true_type {};
