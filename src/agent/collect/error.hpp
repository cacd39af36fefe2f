// What can be wrong with a value a person types for a tag (the convention of common/error.hpp):
// the commissioning `write` text, parsed by the shared IEC literals (collect/iec_literal.hpp)
// and each protocol's parse_value_text. The message is the sentence `write` prints.
#pragma once
#include "common/error.hpp"

namespace logbot::agent::collect {

enum class ErrorCode {
  empty = 1,          // no text where a value belongs
  not_a_number,       // not a literal of the tag's type ("12abc", "16#G", "yes" for a BOOL, a malformed date)
  out_of_range,       // a literal the type cannot hold (40000 for an INT, beyond 64 bits, 1e39 for a REAL)
  not_finite,         // inf or nan where a device takes only finite numbers
  not_representable,  // within the range, but not exactly (an S5TIME between its steps, a text a STRING cannot hold)
  not_supported,      // values of this tag cannot be written yet (an array tag)
};

using Error = logbot::Error<ErrorCode>;
template <class T>
using Result = logbot::Result<T, ErrorCode>;

}  // namespace logbot::agent::collect
