#include "cloud/secrets/key_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "common/crypto/random.hpp"
#include "common/crypto/sha256.hpp"

namespace logbot::cloud {
namespace {

std::string from_hex(const std::string& hex, const std::filesystem::path& file) {
  auto nibble = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw KeyFileError("key file " + file.string() + " is not 64 lower-case hex characters");
  };
  if (hex.size() != kKeyBytes * 2) throw KeyFileError("key file " + file.string() + " does not hold a 256-bit key");
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2)
    out.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  return out;
}

}  // namespace

std::string load_key(const std::filesystem::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0)
    throw KeyFileError("key file " + file.string() + " does not exist (it is created by `logbot-cloud serve`; " +
                       "restore it from the backup of the keys directory)");
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    throw KeyFileError("key file " + file.string() + " is accessible by group or others; run: chmod 600 " +
                       file.string());
  std::ifstream in(file);
  std::string hex;
  std::getline(in, hex);
  return from_hex(hex, file);
}

std::string load_or_create_key(const std::filesystem::path& file) {
  if (std::filesystem::exists(file)) return load_key(file);
  std::filesystem::create_directories(file.parent_path());
  std::filesystem::permissions(file.parent_path(), std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
  std::string key = crypto::random_bytes(kKeyBytes);
  const std::string temporary = file.string() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw KeyFileError("cannot create key file " + temporary);
  const std::string text = crypto::to_hex(key) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) throw KeyFileError("cannot write key file " + temporary);
  std::filesystem::rename(temporary, file);
  return key;
}

}  // namespace logbot::cloud
