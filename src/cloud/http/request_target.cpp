#include "cloud/http/request_target.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace logbot::cloud::http {
namespace {

bool has_control_bytes(std::string_view text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

}  // namespace

std::optional<RequestTarget> parse_request_target(std::string_view target) {
  if (target.empty() || target.front() != '/' || target.size() > 8192) return std::nullopt;
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return std::nullopt;
  const boost::urls::url_view& url = *parsed;
  RequestTarget out;
  for (auto segment : url.segments()) {
    const std::string decoded(segment);
    if (decoded == "." || decoded == ".." || decoded.find('/') != std::string::npos || has_control_bytes(decoded))
      return std::nullopt;
    out.path += '/';
    out.path += decoded;
  }
  if (out.path.empty() || (url.encoded_path().ends_with("/") && out.path != "/")) out.path += '/';
  if (out.path.size() > 1 && out.path.ends_with("//")) out.path.pop_back();
  for (auto param : url.params()) {
    if (has_control_bytes(param.key) || has_control_bytes(param.value)) return std::nullopt;
    out.query.emplace(std::string(param.key), std::string(param.value));
  }
  return out;
}

}  // namespace logbot::cloud::http
