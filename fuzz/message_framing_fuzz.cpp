// Fuzzes the request-framing decision (Transfer-Encoding / Content-Length field values).
// Input: lines "T:value" or "C:value" (one header field each), a first byte selecting the
// HTTP version.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cloud/http/message_framing.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  logbot::cloud::http::FramingFields fields;
  fields.version = (data[0] & 1) != 0 ? 11 : 10;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    if (line.size() >= 2 && line[1] == ':') {
      if (line[0] == 'T') fields.transfer_encoding.push_back(line.substr(2));
      if (line[0] == 'C') fields.content_length.push_back(line.substr(2));
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  const bool refused = logbot::cloud::http::framing_refusal(fields).has_value();
  // Invariants of every accepted framing: never both, never Transfer-Encoding in HTTP/1.0, at
  // most one Content-Length.
  if (!refused) {
    if (!fields.transfer_encoding.empty() && !fields.content_length.empty()) __builtin_trap();
    if (!fields.transfer_encoding.empty() && fields.version < 11) __builtin_trap();
    if (fields.content_length.size() > 1) __builtin_trap();
  }
  return 0;
}
