#include "cloud/http/message_framing.hpp"

#include <strings.h>

namespace logbot::cloud::http {
namespace {

std::string_view trim_whitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_chunked(std::string_view coding) {
  return coding.size() == 7 && strncasecmp(coding.data(), "chunked", 7) == 0;
}

}  // namespace

std::optional<std::string> framing_refusal(const FramingFields& fields) {
  if (!fields.transfer_encoding.empty()) {
    // RFC 9112 §6.1: an HTTP/1.0 recipient of Transfer-Encoding must treat the framing as faulty.
    if (fields.version < 11) return "Transfer-Encoding is not allowed in an HTTP/1.0 request";
    // §6.3 (3): a sender must not send both; a proxy may have used the other one.
    if (!fields.content_length.empty()) return "a request must not carry both Transfer-Encoding and Content-Length";
    // All field lines form one list (RFC 9110 §5.3). The only coding read here is chunked, so
    // the list must be that one element: "xchunked", "gzip", "identity", "chunked, identity" or
    // "gzip, chunked" all leave the body's end (or its content) to guesswork.
    std::size_t codings = 0;
    bool only_chunked = true;
    for (std::string_view value : fields.transfer_encoding) {
      for (;;) {
        const std::size_t comma = value.find(',');
        const std::string_view element = trim_whitespace(value.substr(0, comma));
        ++codings;
        if (!is_chunked(element)) only_chunked = false;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
      }
    }
    if (codings != 1 || !only_chunked)
      return "unsupported Transfer-Encoding: only \"chunked\" alone is accepted (send the body with "
             "Content-Length or chunked)";
    return std::nullopt;
  }
  if (fields.content_length.size() > 1) return "a request must carry at most one Content-Length field";
  if (fields.content_length.size() == 1) {
    const std::string_view value = trim_whitespace(fields.content_length.front());
    // A list ("5, 5") is allowed by RFC 9110 §8.6 when the values agree; refused here, since a
    // proxy that takes the first value and one that refuses the message already disagree.
    if (value.empty() || value.size() > 18) return "Content-Length must be a decimal number of bytes";
    for (char c : value)
      if (c < '0' || c > '9') return "Content-Length must be a decimal number of bytes";
  }
  return std::nullopt;
}

}  // namespace logbot::cloud::http
