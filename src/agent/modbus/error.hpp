// What can go wrong in the Modbus value codec, for the program (the convention of
// common/error.hpp). The driver turns an encoding error into collect::ErrorCode::value_unfit
// and a decoding error into the bad tag's status; the message is the sentence after
// "cannot write TAG: " or the status itself. The driver's own outcomes (connection, refusals)
// are collect::ErrorCode (agent/collect/error.hpp).
#pragma once
#include "common/error.hpp"

namespace logbot::agent::modbus {

enum class ErrorCode {
  wrong_kind = 1,  // a value of the wrong kind for the type: none or a text for a number, a fraction for an
                   // integer type, other than 0/1 for a BOOL
  out_of_range,    // a number beyond the type's range
  not_finite,      // inf or nan, which is never written to a device
  wrong_shape,     // registers that do not fit the tag (their count, a bit table, a bit number beyond 15)
};

using Error = logbot::Error<ErrorCode>;
template <class T>
using Result = logbot::Result<T, ErrorCode>;

}  // namespace logbot::agent::modbus
