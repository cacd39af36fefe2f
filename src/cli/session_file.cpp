#include "cli/session_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>

namespace logbot::cli {
namespace {

constexpr std::size_t kMaximumFileBytes = 64 * 1024;

std::string errno_text(int error) {
  return std::strerror(error);
}

// Closes a descriptor on every path out.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

CliResult<void> ensure_private_directory(const std::filesystem::path& directory) {
  std::error_code ec;
  if (directory.has_parent_path()) std::filesystem::create_directories(directory.parent_path(), ec);
  if (ec) return CliError{"cannot create the directory " + directory.parent_path().string() + ": " + ec.message()};
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST)
    return CliError{"cannot create the directory " + directory.string() + ": " + errno_text(errno)};
  struct stat info {};
  if (::lstat(directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    return CliError{directory.string() + " is not a directory: remove it or set LOGBOT_CONFIG_DIR"};
  // Only the owner may list or traverse the directory that holds the session credential.
  if (info.st_uid == ::geteuid() && (info.st_mode & 0077) != 0 && ::chmod(directory.c_str(), 0700) != 0)
    return CliError{"cannot make " + directory.string() + " private (chmod 0700): " + errno_text(errno)};
  return {};
}

std::string string_member(const boost::json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->as_string());
}

}  // namespace

CliResult<std::filesystem::path> session_file_path(const EnvironmentLookup& environment) {
  if (auto directory = environment("LOGBOT_CONFIG_DIR"); directory && !directory->empty())
    return CliResult<std::filesystem::path>(boost::system::in_place_value,
                                            std::filesystem::path(*directory) / "session.json");
  if (auto home = environment("HOME"); home && !home->empty())
    return CliResult<std::filesystem::path>(boost::system::in_place_value,
                                            std::filesystem::path(*home) / ".config" / "logbot" / "session.json");
  return CliError{"cannot tell where to keep the session: set HOME or LOGBOT_CONFIG_DIR"};
}

CliResult<std::optional<StoredSession>> load_session(const std::filesystem::path& file) {
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<StoredSession>();
    return CliError{"cannot read " + file.string() + ": " + errno_text(errno)};
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode) || info.st_size > static_cast<off_t>(kMaximumFileBytes))
    return CliError{file.string() + " is not a session file: delete it and run logbot login"};
  std::string text(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return CliError{"cannot read " + file.string() + ": " + errno_text(errno)};
    done += static_cast<std::size_t>(n);
  }
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(text, ec);
  if (ec || !parsed.is_object())
    return CliError{file.string() + " is damaged (not a JSON object): delete it and run logbot login"};
  const auto& object = parsed.as_object();
  StoredSession session{string_member(object, "url"), string_member(object, "cookie"),
                        string_member(object, "csrf_token"), string_member(object, "ca_file"),
                        string_member(object, "email")};
  if (session.url.empty() || session.cookie.empty())
    return CliError{file.string() + " is damaged (no url or cookie): delete it and run logbot login"};
  return std::optional<StoredSession>(std::move(session));
}

CliResult<void> save_session(const std::filesystem::path& file, const StoredSession& session) {
  const std::filesystem::path directory = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  if (auto ready = ensure_private_directory(directory); !ready) return ready;
  const boost::json::object object{{"url", session.url},
                                   {"cookie", session.cookie},
                                   {"csrf_token", session.csrf_token},
                                   {"ca_file", session.ca_file},
                                   {"email", session.email}};
  const std::string text = boost::json::serialize(object) + "\n";

  // Written beside the target and renamed over it, so a reader never sees half a file; created
  // 0600 by open() itself, never widened by a later chmod.
  const std::filesystem::path temporary =
      directory / (".session.json.tmp-" + std::to_string(static_cast<long>(::getpid())));
  ::unlink(temporary.c_str());
  FileDescriptor fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0) return CliError{"cannot write " + temporary.string() + ": " + errno_text(errno)};
  auto fail = [&](const std::string& what) -> CliResult<void> {
    const int error = errno;
    ::close(fd.release());
    ::unlink(temporary.c_str());
    return CliError{"cannot " + what + " " + file.string() + ": " + errno_text(error)};
  };
  if (::fchmod(fd.get(), 0600) != 0) return fail("protect");
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("write");
  if (::close(fd.release()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return CliError{"cannot write " + file.string() + ": " + errno_text(error)};
  }
  if (::rename(temporary.c_str(), file.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return CliError{"cannot write " + file.string() + ": " + errno_text(error)};
  }
  return {};
}

CliResult<void> remove_session(const std::filesystem::path& file) {
  if (::unlink(file.c_str()) != 0 && errno != ENOENT)
    return CliError{"cannot delete " + file.string() + ": " + errno_text(errno) + " (delete it by hand)"};
  return {};
}

}  // namespace logbot::cli
