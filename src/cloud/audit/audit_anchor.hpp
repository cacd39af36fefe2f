// The audit anchor: the chain head (seq and hash) after every append, written to a file
// outside the database, one line each, keyed with HMAC under the audit key. The hash chain
// alone cannot see its own end: deleting the newest entries, or all of them, leaves a
// shorter chain that verifies. The anchor remembers how far the chain reached, so
// `audit verify` can say that entries are missing and that history was replaced.
//
// Line: "v1 SEQ TIME_MS HASH MAC\n", MAC = HMAC-SHA-256(key, the fields above). A last line
// without its newline (a torn write) is ignored with a warning; any other bad line makes the
// file untrustworthy and verification fails.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logbot::cloud {

struct AnchorHead {
  std::int64_t seq = 0;
  std::int64_t time_ms = 0;
  std::string hash;  // the entry's hash (64 lower-case hex digits)
};

// One line, with its newline.
std::string format_anchor_line(const AnchorHead& head, std::string_view key);

struct AnchorFile {
  std::vector<AnchorHead> heads;  // in file order
  std::vector<std::string> warnings;
  std::optional<std::string> error;  // the file cannot be trusted: why (line number and what)
};

// Pure: parses the text of an anchor file and checks every line's MAC.
AnchorFile parse_anchor_file(std::string_view text, std::string_view key);

// Appends lines with O_APPEND and one write(2) each (atomic for lines this short), without
// fsync: see docs/SECURITY.md for what a crash may lose. Opens the file (0600) at the first
// append, so read-only tools never create it.
class AnchorWriter {
 public:
  explicit AnchorWriter(std::filesystem::path file) : file_(std::move(file)) {}
  ~AnchorWriter();
  AnchorWriter(const AnchorWriter&) = delete;
  AnchorWriter& operator=(const AnchorWriter&) = delete;
  // False (and logged) when the line could not be written.
  bool append(const std::string& line);
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  int fd_ = -1;
};

}  // namespace logbot::cloud
