// What can go wrong in collection, for the program (the convention of common/error.hpp): the
// value a person types for a tag (the commissioning `write` text, parsed by the shared IEC
// literals (collect/iec_literal.hpp) and each protocol's parse_value_text), and the outcome of
// a PlcDriver call (collect/driver.hpp). The message is the sentence `write` prints, or the
// one the scheduler logs and puts on the PLC's tags.
#pragma once
#include "common/error.hpp"

namespace logbot::agent::collect {

enum class ErrorCode {
  // ---- a value for a tag ----
  empty = 1,          // no text where a value belongs
  not_a_number,       // not a literal of the tag's type ("12abc", "16#G", "yes" for a BOOL, a malformed date)
  out_of_range,       // a literal the type cannot hold (40000 for an INT, beyond 64 bits, 1e39 for a REAL)
  not_finite,         // inf or nan where a device takes only finite numbers
  not_representable,  // within the range, but not exactly (an S5TIME between its steps, a text a STRING cannot hold)
  not_supported,      // values of this tag cannot be written yet (an array tag)

  // ---- a driver call (connection-level unless noted; the driver is then disconnected) ----
  unreachable,     // no TCP connection: the host does not resolve, refuses, has no route or does not answer
  bind_failed,     // the automation-side bind address is no address of this machine (or no IP address)
  timeout,         // connected, but no answer to a request within the PLC's timeout
  closed,          // the PLC closed or reset the connection, or sending or receiving failed
  refused_by_plc,  // the PLC refused the connection setup (COTP, Setup Communication, the unit id), a job, or a
                   // write (its return code or Modbus exception: then the connection stays)
  bad_response,    // the PLC answered with something malformed, mismatched or out of turn
  value_unfit,     // write: the value is not one of the tag's type (wrong kind, beyond its range); connection stays
  not_writable,    // write: the tag cannot be written as configured (a read-only Modbus table, a STRING the PLC
                   // declares with another length); connection stays
  internal,        // a broken invariant of the agent (a tag index out of range, an exception in the client)
};

using Error = logbot::Error<ErrorCode>;
template <class T>
using Result = logbot::Result<T, ErrorCode>;

}  // namespace logbot::agent::collect
