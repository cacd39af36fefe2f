#include "cloud/audit/audit_anchor.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/crypto/constant_time.hpp"
#include "common/crypto/hmac.hpp"

namespace logbot::cloud {
namespace {

constexpr std::string_view kVersion = "v1";
constexpr std::size_t kHexLength = 64;

std::string mac_input(const AnchorHead& head) {
  return "logbot-audit-anchor-v1\n" + std::to_string(head.seq) + "\n" + std::to_string(head.time_ms) + "\n" +
         head.hash + "\n";
}

std::optional<std::int64_t> parse_number(std::string_view text) {
  if (text.empty() || text.size() > 18 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

bool is_hex(std::string_view text) {
  if (text.size() != kHexLength) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Exactly the fields between single spaces: "a  b" and "a b " have an empty field.
std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto space = line.find(' ');
    out.push_back(line.substr(0, space));
    if (space == std::string_view::npos || out.size() > 5) return out;
    line.remove_prefix(space + 1);
  }
}

// Why the line is not a valid anchor line, or nullopt with `head` filled in.
std::optional<std::string> parse_line(std::string_view line, std::string_view key, AnchorHead& head) {
  const auto fields = split_spaces(line);
  if (fields.size() != 5 || fields[0] != kVersion) return "not an anchor line (expected 'v1 SEQ TIME HASH MAC')";
  const auto seq = parse_number(fields[1]);
  const auto time_ms = parse_number(fields[2]);
  if (!seq || *seq < 1 || !time_ms) return "the sequence number or time is not a number";
  if (!is_hex(fields[3]) || !is_hex(fields[4])) return "the hash or MAC is not 64 lower-case hex digits";
  head.seq = *seq;
  head.time_ms = *time_ms;
  head.hash = std::string(fields[3]);
  if (!crypto::constant_time_equal(crypto::hmac_sha256_hex(key, mac_input(head)), fields[4]))
    return "its MAC does not match (forged, or written with another audit key)";
  return std::nullopt;
}

}  // namespace

std::string format_anchor_line(const AnchorHead& head, std::string_view key) {
  return std::string(kVersion) + " " + std::to_string(head.seq) + " " + std::to_string(head.time_ms) + " " + head.hash +
         " " + crypto::hmac_sha256_hex(key, mac_input(head)) + "\n";
}

AnchorFile parse_anchor_file(std::string_view text, std::string_view key) {
  AnchorFile out;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto newline = text.find('\n');
    if (newline == std::string_view::npos) {
      // The server died in the middle of a write: the line never became a claim.
      out.warnings.push_back("line " + std::to_string(line_number) + " is incomplete (" + std::to_string(text.size()) +
                             " bytes without a newline, a torn write); ignored");
      break;
    }
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline + 1);
    AnchorHead head;
    if (auto problem = parse_line(line, key, head)) {
      out.error = "line " + std::to_string(line_number) + ": " + *problem;
      return out;
    }
    out.heads.push_back(std::move(head));
  }
  return out;
}

AnchorWriter::~AnchorWriter() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

// A crash in the middle of a write leaves a last line without its newline. It was never a
// claim, and the next line must not be glued to it: cut it off before appending again.
void drop_torn_tail(int fd, const std::filesystem::path& file) {
  const off_t size = ::lseek(fd, 0, SEEK_END);
  if (size <= 0) return;
  char tail[512];
  const off_t start = size > static_cast<off_t>(sizeof tail) ? size - static_cast<off_t>(sizeof tail) : 0;
  const ssize_t got = ::pread(fd, tail, static_cast<std::size_t>(size - start), start);
  if (got <= 0 || tail[got - 1] == '\n') return;
  off_t keep = 0;
  for (ssize_t i = got - 1; i >= 0; --i)
    if (tail[i] == '\n') {
      keep = start + i + 1;
      break;
    }
  if (keep == 0 && start > 0) return;  // no newline in the last 512 bytes: not ours to cut
  spdlog::warn("audit anchor {}: dropping an incomplete last line ({} bytes, a torn write)", file.string(),
               static_cast<long long>(size - keep));
  if (::ftruncate(fd, keep) != 0)
    spdlog::error("audit anchor {}: cannot drop the torn line: {}", file.string(), std::strerror(errno));
}

}  // namespace

bool AnchorWriter::append(const std::string& line) {
  if (fd_ < 0) {
    fd_ = ::open(file_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      spdlog::error("audit anchor {}: cannot open: {}", file_.string(), std::strerror(errno));
      return false;
    }
    drop_torn_tail(fd_, file_);
  }
  for (;;) {
    const ssize_t written = ::write(fd_, line.data(), line.size());
    if (written == static_cast<ssize_t>(line.size())) return true;
    if (written < 0 && errno == EINTR) continue;
    spdlog::error("audit anchor {}: write failed: {}", file_.string(),
                  written < 0 ? std::strerror(errno) : "short write (disk full?)");
    // A short write is a torn line: cut it before the next append.
    if (written > 0) drop_torn_tail(fd_, file_);
    return false;
  }
}

}  // namespace logbot::cloud
