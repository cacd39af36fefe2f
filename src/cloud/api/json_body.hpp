// Reads JSON request bodies from untrusted bytes into typed fields with clear errors.
#pragma once
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace logbot::cloud::api {

struct BodyError {
  std::string message;
};

class JsonBody {
 public:
  // Fails unless the text is one JSON object of at most 8 levels of nesting in which no object
  // names a key twice (the message names the key).
  static std::optional<JsonBody> parse(std::string_view text, BodyError& error);
  // A required string member; sets error when absent, not a string or longer than max_length.
  std::optional<std::string> required_string(std::string_view key, std::size_t max_length, BodyError& error) const;
  std::optional<std::string> optional_string(std::string_view key, std::size_t max_length, BodyError& error) const;
  // A required true/false member.
  std::optional<bool> required_bool(std::string_view key, BodyError& error) const;

 private:
  explicit JsonBody(boost::json::object object) : object_(std::move(object)) {}
  boost::json::object object_;
};

}  // namespace logbot::cloud::api
