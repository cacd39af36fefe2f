#include "cloud/http/static_files.hpp"

#include <fstream>
#include <sstream>

namespace logbot::cloud::http {
namespace {

std::string content_type_of(const std::filesystem::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json") return "application/json";
  return "application/octet-stream";
}

}  // namespace

StaticFiles::StaticFiles(const std::filesystem::path& root) {
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) return;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const auto relative = std::filesystem::relative(it->path(), root, ec);
    if (ec || relative.string().starts_with(".")) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    files_["/" + relative.generic_string()] = File{content_type_of(it->path()), content.str()};
  }
}

std::optional<Response> StaticFiles::serve(const std::string& path) const {
  const auto it = files_.find(path == "/" ? "/index.html" : path);
  if (it == files_.end()) return std::nullopt;
  Response r;
  r.body = it->second.body;
  r.set_header("Content-Type", it->second.content_type);
  r.set_header("Cache-Control", "no-cache");
  return r;
}

}  // namespace logbot::cloud::http
