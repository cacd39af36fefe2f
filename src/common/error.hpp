// The project's one error convention (docs/ARCHITECTURE.md "Error-handling policy", ADR 0011).
//
// A module that can fail at run time owns an `error.hpp` with an enum of the outcomes its
// callers branch on, and aliases of the two templates below:
//
//   namespace logbot::agent::s7 {
//   enum class ErrorCode { unreachable, refused_by_plc, bad_response, ... };
//   using Error = logbot::Error<ErrorCode>;
//   template <class T> using Result = logbot::Result<T, ErrorCode>;
//   }
//
// The message is one complete sentence a person can act on; the code is for the program.
// Callers branch on `code`, never on the text. Exceptions are for start-up and configuration
// only (a bad file, a port that cannot be bound), plus the one documented run-time case: a
// database failure, caught at the request or session boundary.
#pragma once
#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>
#include <utility>

namespace logbot {

template <class Code>
struct Error {
  Code code;
  std::string message;
};

template <class T, class Code>
using Result = boost::system::result<T, Error<Code>>;

// An Error<Code> for `return fail(Code::x, "...")` in a function returning Result<T, Code>.
template <class Code>
Error<Code> fail(Code code, std::string message) {
  return Error<Code>{code, std::move(message)};
}

// Only reached through result::value() on an error, which callers never rely on.
template <class Code>
[[noreturn]] void throw_exception_from_error(const Error<Code>& error, const boost::source_location&) {
  throw std::runtime_error(error.message);
}

}  // namespace logbot
