// Reads JSON request bodies from untrusted bytes into typed fields with clear errors.
#pragma once
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "cloud/api/error.hpp"

namespace logbot::cloud::api {

class JsonBody {
 public:
  // Fails unless the text is one JSON object of at most 8 levels of nesting in which no object
  // names a key twice (the message names the key).
  static Result<JsonBody> parse(std::string_view text);
  // A required string member: missing, wrong_type or too_long (longer than max_length bytes).
  Result<std::string> required_string(std::string_view key, std::size_t max_length) const;
  // The same for a member that may be absent (nullopt then).
  Result<std::optional<std::string>> optional_string(std::string_view key, std::size_t max_length) const;
  // A required true/false member.
  Result<bool> required_bool(std::string_view key) const;

 private:
  explicit JsonBody(boost::json::object object) : object_(std::move(object)) {}
  boost::json::object object_;
};

}  // namespace logbot::cloud::api
