// What can go wrong in the HTTPS client, the URL parsing and the private files, for the program
// (the convention of common/error.hpp). The CLI and the agent's enrolment, state and
// configuration return the same codes: they are thin layers over these, and their callers branch
// on the same few classes. The message is printed as is ("logbot: <message>").
#pragma once
#include "common/error.hpp"

namespace logbot::net {

enum class ErrorCode {
  bad_url = 1,        // a server or uplink URL that cannot be used
  name_not_resolved,  // the server's host name does not resolve
  unreachable,        // no TCP connection (refused, timed out, no route), or it broke while sending
  tls_failed,         // TLS could not be set up, or the server's certificate was refused
  pin_mismatch,       // the server's certificate is not the one the enrolment token names
  timeout,            // no answer within the client's timeout
  bad_response,       // an answer that is not valid HTTP, or not what the API promises
  http_error,         // the server answered with an error status
  not_logged_in,      // the CLI holds no session, or the server ended it
  not_enrolled,       // the agent holds no certificate (or no cloud binding)
  already_enrolled,   // the agent holds a certificate and --force was not given
  crypto_failed,      // a key or certificate request could not be made (OpenSSL)
  io_failed,          // a local file or directory cannot be created, read, written or replaced
  bad_input,          // a local file, token, option or configuration is malformed or too large
};

using Error = logbot::Error<ErrorCode>;
template <class T>
using Result = logbot::Result<T, ErrorCode>;

}  // namespace logbot::net
