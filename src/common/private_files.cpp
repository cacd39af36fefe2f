#include "common/private_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace logbot {
namespace {

using net::ErrorCode;

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

}  // namespace

net::Result<void> ensure_private_directory(const std::filesystem::path& directory, std::string_view hint) {
  std::error_code ec;
  if (directory.has_parent_path()) std::filesystem::create_directories(directory.parent_path(), ec);
  if (ec)
    return fail(ErrorCode::io_failed,
                "cannot create the directory " + directory.parent_path().string() + ": " + ec.message());
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST)
    return fail(ErrorCode::io_failed, "cannot create the directory " + directory.string() + ": " + errno_text(errno));
  struct stat info {};
  if (::lstat(directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    return fail(ErrorCode::bad_input, directory.string() + " is not a directory: " + std::string(hint));
  // Only the owner may list or traverse a directory that holds a key or a credential.
  if (info.st_uid == ::geteuid() && (info.st_mode & 0777) != 0700 && ::chmod(directory.c_str(), 0700) != 0)
    return fail(ErrorCode::io_failed,
                "cannot make " + directory.string() + " private (chmod 0700): " + errno_text(errno));
  return {};
}

net::Result<std::optional<std::string>> read_private_file(const std::filesystem::path& file, std::size_t max_bytes) {
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return fail(ErrorCode::io_failed, "cannot read " + file.string() + ": " + errno_text(errno));
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode))
    return fail(ErrorCode::bad_input, file.string() + " is not a regular file");
  std::string content;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(ErrorCode::io_failed, "cannot read " + file.string() + ": " + errno_text(errno));
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
    if (content.size() > max_bytes)
      return fail(ErrorCode::bad_input, file.string() + " is larger than such a file can be");
  }
  return std::optional<std::string>(std::move(content));
}

net::Result<void> write_private_file(const std::filesystem::path& file, std::string_view content, unsigned mode) {
  const std::filesystem::path directory = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  const std::filesystem::path temporary = file.string() + ".tmp-" + std::to_string(static_cast<long>(::getpid()));
  ::unlink(temporary.c_str());
  // The mode is set at creation: there is no moment in which the file is readable by others.
  FileDescriptor fd(
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, static_cast<mode_t>(mode)));
  if (fd.get() < 0) return fail(ErrorCode::io_failed, "cannot write " + temporary.string() + ": " + errno_text(errno));
  auto failed = [&](const std::string& what) -> net::Result<void> {
    const int error = errno;
    ::close(fd.release());
    ::unlink(temporary.c_str());
    return fail(ErrorCode::io_failed, "cannot " + what + " " + file.string() + ": " + errno_text(error));
  };
  if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0) return failed("set the permissions of");
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return failed("write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return failed("write");
  if (::close(fd.release()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return fail(ErrorCode::io_failed, "cannot write " + file.string() + ": " + errno_text(error));
  }
  if (::rename(temporary.c_str(), file.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return fail(ErrorCode::io_failed, "cannot replace " + file.string() + ": " + errno_text(error));
  }
  // The rename itself must survive a power cut.
  FileDescriptor directory_fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory_fd.get() >= 0) ::fsync(directory_fd.get());
  return {};
}

}  // namespace logbot
