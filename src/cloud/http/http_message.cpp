#include "cloud/http/http_message.hpp"

#include <strings.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace logbot::cloud::http {

std::string_view Request::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return {};
}

std::string Request::query_value(const std::string& name) const {
  const auto it = query.find(name);
  return it == query.end() ? std::string() : it->second;
}

void Response::set_header(std::string name, std::string value) {
  for (auto& [existing, existing_value] : headers) {
    if (strcasecmp(existing.c_str(), name.c_str()) == 0) {
      existing_value = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

bool Response::has_header(std::string_view name) const {
  for (const auto& [existing, value] : headers)
    if (existing.size() == name.size() && strncasecmp(existing.data(), name.data(), name.size()) == 0) return true;
  return false;
}

Response json_response(unsigned status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.set_header("Content-Type", "application/json");
  return r;
}

Response error_response(unsigned status, std::string_view code, std::string_view message) {
  boost::json::object o;
  o["error"] = code;
  o["message"] = message;
  return json_response(status, boost::json::serialize(o));
}

Response no_content() {
  Response r;
  r.status = 204;
  return r;
}

}  // namespace logbot::cloud::http
