// Why a device's uplink session ended (the error convention of common/error.hpp). The session
// logs the message; the listener's counters branch on the code.
#pragma once
#include "common/error.hpp"

namespace logbot::cloud::uplink {

enum class ErrorCode {
  closed = 1,           // the device closed the connection, or it broke
  timeout,              // the device was silent for three heartbeat intervals, or a write stalled
  protocol_violation,   // an undecodable message, or one out of turn (no Hello first)
  write_failed,         // a message could not be sent
  overloaded,           // the device's outbound queue was full (it reads too slowly)
  superseded,           // the device connected again
  revoked,              // the device was revoked
  certificate_expired,  // the session's certificates expired
  shutting_down,        // the cloud stops
};

using Error = logbot::Error<ErrorCode>;
template <class T>
using Result = logbot::Result<T, ErrorCode>;

}  // namespace logbot::cloud::uplink
