// The error value every CLI module returns: one sentence a user can act on.
#pragma once
#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>

namespace logbot::cli {

struct CliError {
  std::string message;  // complete, ready for "logbot: <message>" on stderr
};

template <class T>
using CliResult = boost::system::result<T, CliError>;

// Only reached through result::value() on an error, which the CLI never relies on.
[[noreturn]] inline void throw_exception_from_error(const CliError& error, const boost::source_location&) {
  throw std::runtime_error(error.message);
}

}  // namespace logbot::cli
