#include "agent/state/agent_state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>

#include "common/crypto/random.hpp"

namespace logbot::agent {
namespace {

constexpr std::size_t kMaximumStateFileBytes = 1024 * 1024;

std::string errno_text(int error) {
  return std::strerror(error);
}

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

UserResult<void> ensure_private_directory(const std::filesystem::path& directory) {
  std::error_code ec;
  if (directory.has_parent_path()) std::filesystem::create_directories(directory.parent_path(), ec);
  if (ec) return UserError{"cannot create the directory " + directory.parent_path().string() + ": " + ec.message()};
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST)
    return UserError{"cannot create the state directory " + directory.string() + ": " + errno_text(errno)};
  struct stat info {};
  if (::lstat(directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    return UserError{directory.string() + " is not a directory: remove it or choose another --state-dir"};
  // The directory holds the device's private key: only its owner may list or traverse it.
  if (info.st_uid == ::geteuid() && (info.st_mode & 0777) != 0700 && ::chmod(directory.c_str(), 0700) != 0)
    return UserError{"cannot make " + directory.string() + " private (chmod 0700): " + errno_text(errno)};
  return {};
}

// nullopt when the file does not exist.
UserResult<std::optional<std::string>> read_small_file(const std::filesystem::path& file) {
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return UserError{"cannot read " + file.string() + ": " + errno_text(errno)};
  }
  std::string content;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return UserError{"cannot read " + file.string() + ": " + errno_text(errno)};
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
    if (content.size() > kMaximumStateFileBytes) return UserError{file.string() + " is too large to be agent state"};
  }
  return std::optional<std::string>(std::move(content));
}

std::string string_member(const boost::json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->as_string());
}

}  // namespace

bool is_canonical_uuid_v4(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return text[14] == '4' && (text[19] == '8' || text[19] == '9' || text[19] == 'a' || text[19] == 'b');
}

AgentState::AgentState(std::filesystem::path directory, std::string device_uuid)
    : directory_(std::move(directory)), device_uuid_(std::move(device_uuid)) {}

UserResult<AgentState> AgentState::open(const std::filesystem::path& directory) {
  if (directory.empty()) return UserError{"the state directory must not be empty"};
  if (auto made = ensure_private_directory(directory); !made) return made.error();
  AgentState state(directory, {});
  const std::filesystem::path id_file = directory / "device-id";
  auto existing = read_small_file(id_file);
  if (!existing) return existing.error();
  if (*existing) {
    std::string text = std::move(**existing);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (!is_canonical_uuid_v4(text))
      return UserError{id_file.string() +
                       " is damaged (not a UUID v4): restore it from a backup; deleting it gives this device a new "
                       "identity that must be registered again"};
    state.device_uuid_ = std::move(text);
    return state;
  }
  // First start: the device's identity for good. link() would refuse to overwrite, but two
  // agents racing on one state directory is not a supported setup; the rename is atomic.
  std::string uuid = crypto::uuid_v4();
  if (auto written = state.write_file(id_file, uuid + "\n", 0644); !written) return written.error();
  state.device_uuid_ = std::move(uuid);
  return state;
}

bool AgentState::has_certificate() const {
  std::error_code ec;
  return std::filesystem::exists(certificate_file(), ec);
}

bool AgentState::has_key() const {
  std::error_code ec;
  return std::filesystem::exists(key_file(), ec);
}

UserResult<std::string> AgentState::read_key_pem() const {
  auto content = read_small_file(key_file());
  if (!content) return content.error();
  if (!*content) return UserError{key_file().string() + " does not exist"};
  return UserResult<std::string>(boost::system::in_place_value, std::move(**content));
}

UserResult<std::optional<CloudBinding>> AgentState::read_cloud_binding() const {
  auto content = read_small_file(cloud_file());
  if (!content) return content.error();
  if (!*content) return std::optional<CloudBinding>();
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(**content, ec);
  if (ec || !value.is_object())
    return UserError{cloud_file().string() + " is damaged (not a JSON object): enrol again with --force"};
  const auto& object = value.as_object();
  CloudBinding binding{string_member(object, "url"),
                       string_member(object, "fingerprint"),
                       string_member(object, "device_id"),
                       string_member(object, "org_id"),
                       {}};
  if (const auto* urls = object.if_contains("uplink_urls"); urls != nullptr && urls->is_array())
    for (const auto& url : urls->as_array())
      if (url.is_string()) binding.uplink_urls.emplace_back(url.as_string());
  return std::optional<CloudBinding>(std::move(binding));
}

UserResult<void> AgentState::write_file(const std::filesystem::path& file, std::string_view content,
                                        unsigned mode) const {
  const std::filesystem::path temporary = file.string() + ".tmp";
  ::unlink(temporary.c_str());
  // The mode is set at creation (no window in which a key file is readable by others).
  FileDescriptor fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
  if (fd.get() < 0) return UserError{"cannot write " + temporary.string() + ": " + errno_text(errno)};
  auto fail = [&](const std::string& what) -> UserResult<void> {
    const int error = errno;
    ::unlink(temporary.c_str());
    return UserError{"cannot " + what + " " + file.string() + ": " + errno_text(error)};
  };
  if (::fchmod(fd.get(), mode) != 0) return fail("set the permissions of");
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("write");
  if (::close(fd.release()) != 0) return fail("write");
  if (::rename(temporary.c_str(), file.c_str()) != 0) return fail("replace");
  // The rename itself must survive a power cut.
  FileDescriptor directory_fd(::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory_fd.get() >= 0) ::fsync(directory_fd.get());
  return {};
}

UserResult<void> AgentState::write_cloud_binding(const CloudBinding& binding) const {
  boost::json::object object{{"url", binding.url},
                             {"fingerprint", binding.fingerprint},
                             {"device_id", binding.device_id},
                             {"org_id", binding.org_id}};
  if (!binding.uplink_urls.empty()) {
    boost::json::array urls;
    for (const auto& url : binding.uplink_urls) urls.emplace_back(url);
    object["uplink_urls"] = std::move(urls);
  }
  return write_file(cloud_file(), boost::json::serialize(object) + "\n", 0644);
}

}  // namespace logbot::agent
