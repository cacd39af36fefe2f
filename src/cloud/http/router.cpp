#include "cloud/http/router.hpp"

namespace logbot::cloud::http {

bool match_path(std::string_view pattern, std::string_view path, PathParams& params) {
  params.clear();
  while (!pattern.empty() && !path.empty()) {
    if (pattern.front() != '/' || path.front() != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    const auto pattern_end = pattern.find('/');
    const auto path_end = path.find('/');
    const std::string_view pattern_segment = pattern.substr(0, pattern_end);
    const std::string_view path_segment = path.substr(0, path_end);
    if (pattern_segment.size() > 2 && pattern_segment.front() == '{' && pattern_segment.back() == '}') {
      if (path_segment.empty()) return false;
      params.emplace(std::string(pattern_segment.substr(1, pattern_segment.size() - 2)), std::string(path_segment));
    } else if (pattern_segment != path_segment) {
      return false;
    }
    pattern = pattern_end == std::string_view::npos ? std::string_view{} : pattern.substr(pattern_end);
    path = path_end == std::string_view::npos ? std::string_view{} : path.substr(path_end);
  }
  return pattern.empty() && path.empty();
}

}  // namespace logbot::cloud::http
