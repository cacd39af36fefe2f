// Decides from a request's header fields alone whether its body is delimited in exactly one
// way this server reads (RFC 9112 §6): no body, one Content-Length, or Transfer-Encoding
// exactly "chunked". Anything else is where a proxy in front and this server could disagree
// about where the request ends (request smuggling), so it is refused with 400 and the
// connection closed rather than guessed at. Pure: the unit tests and a fuzzer call it directly.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logbot::cloud::http {

struct FramingFields {
  unsigned version = 11;                            // 10 for HTTP/1.0, 11 for HTTP/1.1
  std::vector<std::string_view> transfer_encoding;  // every Transfer-Encoding field value, in order
  std::vector<std::string_view> content_length;     // every Content-Length field value, in order
};

// nullopt when the framing is unambiguous and one this server reads; else what is wrong,
// as a sentence for the client.
std::optional<std::string> framing_refusal(const FramingFields& fields);

}  // namespace logbot::cloud::http
