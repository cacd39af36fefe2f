// Files only their owner may read: the agent's state (its private key) and the CLI's session.
// Directories are made 0700; files are written to a temporary file created with their final
// mode, synced and renamed over the target, so a reader never sees half a file and a key is
// never readable by others, not even for a moment.
#pragma once
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/net/error.hpp"

namespace logbot {

// Creates the directory (and its parents) and makes it 0700 if this user owns it.
// `hint` ends the error message with what the user can do instead. Errors: io_failed, or
// bad_input when the path is something else than a directory (also for the two below: not a
// regular file, too large).
net::Result<void> ensure_private_directory(const std::filesystem::path& directory, std::string_view hint);
// The whole file, or nullopt when it does not exist; an error when it is larger than
// `max_bytes`, not a regular file, or unreadable. Symbolic links are not followed.
net::Result<std::optional<std::string>> read_private_file(const std::filesystem::path& file, std::size_t max_bytes);
// Replaces `file` atomically with `content`, created with `mode` (e.g. 0600).
net::Result<void> write_private_file(const std::filesystem::path& file, std::string_view content, unsigned mode);

}  // namespace logbot
