// The error value of the HTTPS client and of the URL/cookie parsing: one complete sentence a
// user can act on. The CLI and the agent print it as is ("logbot: <message>").
#pragma once
#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>

namespace logbot::net {

struct UserError {
  std::string message;  // complete, ready for "<program>: <message>" on stderr
};

template <class T>
using UserResult = boost::system::result<T, UserError>;

// Only reached through result::value() on an error, which callers never rely on.
[[noreturn]] inline void throw_exception_from_error(const UserError& error, const boost::source_location&) {
  throw std::runtime_error(error.message);
}

}  // namespace logbot::net
