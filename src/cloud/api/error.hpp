// What a request body can be refused for (the error convention of common/error.hpp). Every code
// is answered 400 bad_request with the message; the codes let tests and callers tell them apart.
#pragma once
#include "common/error.hpp"

namespace logbot::cloud::api {

enum class ErrorCode {
  not_json = 1,   // not valid JSON, or nested deeper than allowed
  not_an_object,  // valid JSON, but not one object
  duplicate_key,  // an object names a key twice
  missing,        // a required member is absent
  wrong_type,     // a member has another JSON type than the one asked for
  too_long,       // a string member is longer than allowed
};

using Error = logbot::Error<ErrorCode>;
template <class T>
using Result = logbot::Result<T, ErrorCode>;

}  // namespace logbot::cloud::api
