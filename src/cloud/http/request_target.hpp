// Parses an HTTP request-target (origin form) from untrusted bytes into a decoded path and
// query parameters (Boost.URL). Pure: the fuzzer calls it directly.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace logbot::cloud::http {

struct RequestTarget {
  std::string path;
  std::map<std::string, std::string> query;
};

// nullopt when the target is not a valid origin-form URI, contains NUL or control bytes
// after decoding, or has a "." / ".." segment.
std::optional<RequestTarget> parse_request_target(std::string_view target);

}  // namespace logbot::cloud::http
