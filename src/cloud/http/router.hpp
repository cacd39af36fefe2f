// Matches "METHOD /path" against route patterns such as "/api/v1/orgs/{org_id}/members".
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace logbot::cloud::http {

using PathParams = std::map<std::string, std::string>;

// True when `path` fits `pattern`; fills `params` with the {name} segments.
bool match_path(std::string_view pattern, std::string_view path, PathParams& params);

}  // namespace logbot::cloud::http
