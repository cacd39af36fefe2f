// Serves the web console's files from one directory, read into memory at start-up
// (a fixed set: no path from a request ever reaches the file system).
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "cloud/http/http_message.hpp"

namespace logbot::cloud::http {

class StaticFiles {
 public:
  // Loads every regular file under `root`; an absent root leaves the set empty.
  explicit StaticFiles(const std::filesystem::path& root);
  // Response for a GET of `path`, or nullopt when no such file exists.
  std::optional<Response> serve(const std::string& path) const;
  std::size_t size() const { return files_.size(); }

 private:
  struct File {
    std::string content_type;
    std::string body;
  };
  std::map<std::string, File> files_;
};

}  // namespace logbot::cloud::http
