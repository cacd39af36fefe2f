// The error value every CLI module returns: one sentence a user can act on. The same type as the
// shared HTTPS client's (common/net), so its results pass through the commands unchanged.
#pragma once
#include "common/net/net_error.hpp"

namespace logbot::cli {

using CliError = net::UserError;

template <class T>
using CliResult = net::UserResult<T>;

}  // namespace logbot::cli
