#include "cloud/identity/email_address.hpp"

#include <fmt/format.h>

#include <cstdint>

namespace logbot::cloud {
namespace {

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The code point starting at text[i] and its length in bytes; nullopt for malformed UTF-8.
struct CodePoint {
  std::uint32_t value;
  std::size_t length;
};
std::optional<CodePoint> decode_utf8(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  std::uint32_t value = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    value = lead & 0x1fu;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    value = lead & 0x0fu;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    value = lead & 0x07u;
  } else {
    return std::nullopt;
  }
  if (i + length > text.size()) return std::nullopt;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0u) != 0x80u) return std::nullopt;
    value = (value << 6) | (byte(i + k) & 0x3fu);
  }
  const std::uint32_t smallest = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
  if (value < smallest || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return std::nullopt;
  return CodePoint{value, length};
}

// Characters that render as nothing (or only move the text around): an address holding one
// looks exactly like the address without it.
bool is_invisible(std::uint32_t c) {
  return (c >= 0x80 && c <= 0x9f) ||  // C1 controls
         c == 0xa0 || c == 0xad ||    // no-break space, soft hyphen
         c == 0x034f || c == 0x061c || c == 0x115f || c == 0x1160 || c == 0x17b4 || c == 0x17b5 || c == 0x180e ||
         (c >= 0x2000 && c <= 0x200f) ||  // spaces, zero-width, LRM/RLM
         (c >= 0x2028 && c <= 0x202f) ||  // separators, bidi embeddings
         (c >= 0x205f && c <= 0x206f) ||  // word joiner, invisible operators, bidi isolates
         c == 0x3000 || c == 0x3164 || (c >= 0xfe00 && c <= 0xfe0f) || c == 0xfeff || c == 0xffa0 ||
         (c >= 0xfff0 && c <= 0xfffb) || (c >= 0x1d173 && c <= 0x1d17a) || (c >= 0xe0000 && c <= 0xe0fff);
}

bool is_domain_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

std::optional<std::string> domain_problem(std::string_view domain) {
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = domain.find('.', start);
    const std::string_view label = domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty()) return std::string("the domain has an empty part (two dots, or a dot at an end)");
    if (label.size() > 63) return fmt::format("the domain part '{}' is longer than 63 characters", label);
    for (char c : label)
      if (!is_domain_character(c))
        return fmt::format("the domain may hold only letters, digits, hyphens and dots, not '{}'", c);
    if (label.front() == '-' || label.back() == '-')
      return fmt::format("the domain part '{}' begins or ends with a hyphen", label);
    if (dot == std::string_view::npos) return std::nullopt;
    start = dot + 1;
  }
}

}  // namespace

std::optional<std::string> email_address_problem(std::string_view email) {
  email = trim_blanks(email);
  if (email.empty()) return std::string("the address is empty");
  // Non-ASCII and invisible characters first: they are the look-alikes, and naming the code
  // point is what lets the user see what the screen does not show.
  for (std::size_t i = 0; i < email.size();) {
    const auto u = static_cast<unsigned char>(email[i]);
    if (u < 0x80) {
      if (u < 0x20 || u == 0x7f) return fmt::format("it contains the control character 0x{:02X}", u);
      ++i;
      continue;
    }
    const auto point = decode_utf8(email, i);
    if (!point) return std::string("it is not valid UTF-8 text");
    if (is_invisible(point->value))
      return fmt::format("it contains the invisible character U+{:04X}; retype the address", point->value);
    return fmt::format(
        "it contains '{}' (U+{:04X}): only ASCII addresses are accepted; write an international domain in its "
        "IDNA form (xn--...)",
        email.substr(i, point->length), point->value);
  }
  if (email.size() > 254) return std::string("it is longer than 254 characters");
  const auto at = email.find('@');
  if (at == std::string_view::npos) return std::string("it has no '@'");
  if (email.find('@', at + 1) != std::string_view::npos) return std::string("it has more than one '@'");
  if (at == 0) return std::string("nothing comes before the '@'");
  if (at + 1 == email.size()) return std::string("no domain comes after the '@'");
  const std::string_view local = email.substr(0, at);
  if (local.size() > 64) return std::string("the part before the '@' is longer than 64 characters");
  for (char c : local)
    if (c == ' ' || c == ',' || c == '"' || c == '<' || c == '>' || c == '(' || c == ')' || c == '[' || c == ']' ||
        c == ':' || c == ';' || c == '\\')
      return fmt::format("the part before the '@' may not hold '{}'", c);
  return domain_problem(email.substr(at + 1));
}

std::string email_refusal(std::string_view email) {
  return fmt::format("'{}' is not an e-mail address Logbot accepts: {}", email,
                     email_address_problem(email).value_or("it is not plausibly one"));
}

}  // namespace logbot::cloud
