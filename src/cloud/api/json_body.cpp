#include "cloud/api/json_body.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

namespace logbot::cloud::api {

std::optional<JsonBody> JsonBody::parse(std::string_view text, BodyError& error) {
  boost::json::parse_options options;
  options.max_depth = 8;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec, {}, options);
  if (ec) {
    error.message = "the request body is not valid JSON: " + ec.message();
    return std::nullopt;
  }
  if (!value.is_object()) {
    error.message = "the request body must be a JSON object";
    return std::nullopt;
  }
  return JsonBody(std::move(value.as_object()));
}

std::optional<std::string> JsonBody::required_string(std::string_view key, std::size_t max_length,
                                                     BodyError& error) const {
  const boost::json::value* value = object_.if_contains(key);
  if (value == nullptr) {
    error.message = "'" + std::string(key) + "' is required";
    return std::nullopt;
  }
  return optional_string(key, max_length, error);
}

std::optional<std::string> JsonBody::optional_string(std::string_view key, std::size_t max_length,
                                                     BodyError& error) const {
  const boost::json::value* value = object_.if_contains(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) {
    error.message = "'" + std::string(key) + "' must be a string";
    return std::nullopt;
  }
  const auto& text = value->get_string();
  if (text.size() > max_length) {
    error.message = "'" + std::string(key) + "' is longer than " + std::to_string(max_length) + " bytes";
    return std::nullopt;
  }
  return std::string(text);
}

std::optional<bool> JsonBody::required_bool(std::string_view key, BodyError& error) const {
  const boost::json::value* value = object_.if_contains(key);
  if (value == nullptr || !value->is_bool()) {
    error.message = "'" + std::string(key) + "' is required and must be true or false";
    return std::nullopt;
  }
  return value->get_bool();
}

}  // namespace logbot::cloud::api
