// What can go wrong in S7 communication, for the program (the convention of common/error.hpp):
// the wire codec (s7_pdu), the client (s7_client) and the value codec (s7_value). The S7
// driver turns these into collect::ErrorCode for the scheduler; the message is the sentence it
// puts after "PLC NAME (HOST:PORT): ".
#pragma once
#include "common/error.hpp"

namespace logbot::agent::s7 {

enum class ErrorCode {
  unreachable = 1,  // no TCP connection: the host does not resolve, refuses, has no route or does not answer
  bind_failed,      // the automation-side bind address is no IP address or cannot be bound
  timeout,          // connected, but no answer (or no room to send) within the timeout
  closed,           // the PLC closed or reset the connection, sending or receiving failed, or it was not open
  refused_by_plc,   // a COTP disconnect request, or an S7 error class refusing Setup Communication or a job
  bad_response,     // the PLC sent something malformed, mismatched or out of turn (or an unusable PDU size)
  bad_value,        // PLC bytes that are no value of the tag's type (invalid BCD, a STRING beyond its maximum)
  value_unfit,      // a value to write that the tag's type cannot hold
  not_supported,    // what cannot be done yet (writing an array tag)
  internal,         // a broken invariant: a plan that does not fit the PDU, an exception in the client
};

using Error = logbot::Error<ErrorCode>;
template <class T>
using Result = logbot::Result<T, ErrorCode>;

}  // namespace logbot::agent::s7
