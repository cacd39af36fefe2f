// Terminal- and log-safe text: what a PLC, the cloud or a server says can reach a terminal
// or a log file, and none of it may steer the terminal.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace logbot {

// Far above any real value (an S7 WSTRING is at most 16382 characters) and low enough that
// a hostile peer cannot flood a terminal or a log line.
constexpr std::size_t kPrintableLimit = 65536;

// `text` with every control character replaced by '?': C0 (ESC, CR, LF, ...), DEL and C1
// (U+0080..U+009F: in UTF-8 "\xC2\x9B" is a CSI to many terminals, and an S7 STRING's
// Latin-1 byte 0x9B decodes to just that). A byte that is not part of well-formed UTF-8
// (a stray continuation byte, a truncated or overlong sequence, a surrogate, beyond U+10FFFF)
// becomes '?' as well, so a terminal never resynchronises on it into a control sequence.
// At most `limit` bytes of `text` are considered, cut at a character boundary.
std::string printable(std::string_view text, std::size_t limit = kPrintableLimit);

}  // namespace logbot
