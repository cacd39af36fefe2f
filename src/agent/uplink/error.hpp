// What can go wrong on the uplink, for the program (the convention of common/error.hpp). The
// reconnect loop branches on it (was the session established? did the agent stop?); the
// message is the sentence the agent logs after "cannot connect to URL (" or "connection lost (".
#pragma once
#include "common/error.hpp"

namespace logbot::agent::uplink {

enum class ErrorCode {
  identity_unusable = 1,  // the device's certificate or key cannot be read or used
  name_not_resolved,      // the cloud's host name does not resolve (or the name service is silent)
  bind_failed,            // uplink.bind_address cannot be bound
  unreachable,            // no TCP connection (refused, timed out, no route)
  tls_failed,             // the TLS handshake failed for another reason than the two below
  pin_mismatch,           // the cloud's certificate is not the one cloud.json names
  certificate_refused,    // the cloud refused this device's certificate
  upgrade_declined,       // the cloud answered the WebSocket upgrade with an HTTP error
  timeout,                // no answer within the step's timeout, or a silent cloud
  closed,                 // the cloud closed the connection
  refused,                // the cloud sent a Refusal that ends the session
  protocol_violation,     // the cloud sent something undecodable or out of turn
  write_failed,           // a message could not be sent
  queue_full,             // the outbound queue of a message type is full
  stopped,                // the agent is stopping
};

using Error = logbot::Error<ErrorCode>;
template <class T>
using Result = logbot::Result<T, ErrorCode>;

}  // namespace logbot::agent::uplink
