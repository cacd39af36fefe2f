#include "common/enrolment/enrolment_token.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "common/crypto/base64url.hpp"

namespace logbot::enrolment {
namespace {

constexpr std::string_view kPrefix = "lbt1.";
constexpr std::size_t kMaximumLength = 4096;
constexpr std::size_t kMinimumSecretBytes = 16;  // 128 bits

bool is_lower_hex(std::string_view text) {
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::optional<std::string> string_member(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string(value->get_string());
}

}  // namespace

std::string encode_enrolment_token(const EnrolmentToken& token) {
  const boost::json::object object{{"v", 1}, {"url", token.url}, {"fp", token.fingerprint}, {"secret", token.secret}};
  return std::string(kPrefix) + crypto::base64url_encode(boost::json::serialize(object));
}

std::optional<EnrolmentToken> decode_enrolment_token(std::string_view text, std::string& error) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  if (text.size() > kMaximumLength) {
    error = "the enrolment token is too long";
    return std::nullopt;
  }
  if (!text.starts_with(kPrefix)) {
    error = "this is not a Logbot enrolment token (it must start with 'lbt1.')";
    return std::nullopt;
  }
  const auto json = crypto::base64url_decode(text.substr(kPrefix.size()));
  if (!json) {
    error = "the enrolment token is damaged (not base64url): copy it again in full";
    return std::nullopt;
  }
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(*json, ec);
  if (ec || !value.is_object()) {
    error = "the enrolment token is damaged (no JSON object inside): copy it again in full";
    return std::nullopt;
  }
  const auto& object = value.get_object();
  const boost::json::value* version = object.if_contains("v");
  if (version == nullptr || !version->is_int64() || version->get_int64() != 1) {
    error = "the enrolment token has an unknown version: update logbot-agent";
    return std::nullopt;
  }
  EnrolmentToken token;
  auto url = string_member(object, "url");
  auto fingerprint = string_member(object, "fp");
  auto secret = string_member(object, "secret");
  if (!url || !url->starts_with("https://") || url->size() > 512) {
    error = "the enrolment token names no https:// cloud address";
    return std::nullopt;
  }
  if (!fingerprint || fingerprint->size() != 64 || !is_lower_hex(*fingerprint)) {
    error = "the enrolment token carries no valid SHA-256 certificate fingerprint";
    return std::nullopt;
  }
  const auto secret_bytes = secret ? crypto::base64url_decode(*secret) : std::nullopt;
  if (!secret_bytes || secret_bytes->size() < kMinimumSecretBytes) {
    error = "the enrolment token's secret is missing or too short";
    return std::nullopt;
  }
  token.url = std::move(*url);
  token.fingerprint = std::move(*fingerprint);
  token.secret = std::move(*secret);
  return token;
}

}  // namespace logbot::enrolment
