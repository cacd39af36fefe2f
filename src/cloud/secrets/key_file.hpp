// Server keys kept in files outside the database (by default DATA_DIR/keys/, mode 0600),
// so that a copy or a compromise of the database alone does not yield them.
#pragma once
#include <filesystem>
#include <stdexcept>
#include <string>

namespace logbot::cloud {

class KeyFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::size_t kKeyBytes = 32;

// Reads a 256-bit key (64 hex characters); creates it from the CSPRNG when the file does
// not exist. Throws KeyFileError when the file is malformed or readable by group/others.
std::string load_or_create_key(const std::filesystem::path& file);
// The same, but never creates: for offline tools that must check with the server's key.
std::string load_key(const std::filesystem::path& file);

}  // namespace logbot::cloud
