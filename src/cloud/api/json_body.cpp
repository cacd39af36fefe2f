#include "cloud/api/json_body.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <set>
#include <vector>

namespace logbot::cloud::api {
namespace {

using boost::json::string_view;
using boost::system::error_code;

// Boost.JSON keeps the last of duplicate keys without a word: {"role":"viewer","role":"owner"}
// would be read as owner here while a proxy, a log or a client library that takes the first
// saw viewer. A first pass over the text with this handler finds a repeated key in any object.
class DuplicateKeyFinder {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  std::optional<std::string> duplicate;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t, error_code&) { return true; }
  bool on_object_begin(error_code&) {
    keys_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, error_code&) {
    keys_.pop_back();
    return true;
  }
  bool on_string_part(string_view, std::size_t, error_code&) { return true; }
  bool on_string(string_view, std::size_t, error_code&) { return true; }
  bool on_key_part(string_view part, std::size_t, error_code&) {
    key_.append(part.data(), part.size());
    return true;
  }
  bool on_key(string_view last, std::size_t, error_code& ec) {
    key_.append(last.data(), last.size());
    if (!keys_.back().insert(key_).second) {
      duplicate = std::move(key_);
      ec = boost::json::error::syntax;  // stops the parser; `duplicate` says why
      return false;
    }
    key_.clear();
    return true;
  }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t, string_view, error_code&) { return true; }
  bool on_uint64(std::uint64_t, string_view, error_code&) { return true; }
  bool on_double(double, string_view, error_code&) { return true; }
  bool on_bool(bool, error_code&) { return true; }
  bool on_null(error_code&) { return true; }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

 private:
  std::vector<std::set<std::string>> keys_;
  std::string key_;
};

// The first key that appears twice in one object of `text`, if any (text already known valid).
std::optional<std::string> find_duplicate_key(std::string_view text, const boost::json::parse_options& options) {
  boost::json::basic_parser<DuplicateKeyFinder> parser(options);
  error_code ec;
  parser.write_some(false, text.data(), text.size(), ec);
  return std::move(parser.handler().duplicate);
}

}  // namespace

Result<JsonBody> JsonBody::parse(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = 8;
  error_code ec;
  boost::json::value value = boost::json::parse(text, ec, {}, options);
  if (ec) return fail(ErrorCode::not_json, "the request body is not valid JSON: " + ec.message());
  if (!value.is_object()) return fail(ErrorCode::not_an_object, "the request body must be a JSON object");
  if (auto duplicate = find_duplicate_key(text, options))
    return fail(ErrorCode::duplicate_key,
                "the request body names '" + *duplicate + "' more than once; send each member once");
  return JsonBody(std::move(value.as_object()));
}

Result<std::string> JsonBody::required_string(std::string_view key, std::size_t max_length) const {
  auto value = optional_string(key, max_length);
  if (!value) return value.error();
  if (!*value) return fail(ErrorCode::missing, "'" + std::string(key) + "' is required");
  return std::move(**value);
}

Result<std::optional<std::string>> JsonBody::optional_string(std::string_view key, std::size_t max_length) const {
  const boost::json::value* value = object_.if_contains(key);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->is_string()) return fail(ErrorCode::wrong_type, "'" + std::string(key) + "' must be a string");
  const auto& text = value->get_string();
  if (text.size() > max_length)
    return fail(ErrorCode::too_long,
                "'" + std::string(key) + "' is longer than " + std::to_string(max_length) + " bytes");
  return std::optional<std::string>(std::string(text));
}

Result<bool> JsonBody::required_bool(std::string_view key) const {
  const boost::json::value* value = object_.if_contains(key);
  if (value == nullptr || !value->is_bool())
    return fail(value == nullptr ? ErrorCode::missing : ErrorCode::wrong_type,
                "'" + std::string(key) + "' is required and must be true or false");
  return value->get_bool();
}

}  // namespace logbot::cloud::api
