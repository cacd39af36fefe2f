// What can go wrong with uplink messages themselves (the convention of common/error.hpp):
// decoding the bytes a peer sent, and queueing a message for a session's writer. Both ends of
// the uplink branch on these codes; the message is a sentence for their logs.
#pragma once
#include "common/error.hpp"

namespace logbot::protocol {

enum class ErrorCode {
  empty = 1,   // a zero-length message (an Envelope always carries a body)
  too_large,   // more than kMaximumEnvelopeBytes
  malformed,   // not a valid protobuf encoding of an Envelope
  no_body,     // valid, but none of the oneof members this version knows is set
  queue_full,  // the outbound queue holds as many messages of this type as it may
  stopped,     // the session ended: nothing more is queued
};

using Error = logbot::Error<ErrorCode>;
template <class T>
using Result = logbot::Result<T, ErrorCode>;

}  // namespace logbot::protocol
