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

Result<EnrolmentToken> decode_enrolment_token(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  if (text.size() > kMaximumLength) {
    return fail(ErrorCode::too_long, "the enrolment token is too long");
  }
  if (!text.starts_with(kPrefix)) {
    return fail(ErrorCode::not_a_token, "this is not a Logbot enrolment token (it must start with 'lbt1.')");
  }
  const auto json = crypto::base64url_decode(text.substr(kPrefix.size()));
  if (!json) {
    return fail(ErrorCode::damaged, "the enrolment token is damaged (not base64url): copy it again in full");
  }
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(*json, ec);
  if (ec || !value.is_object()) {
    return fail(ErrorCode::damaged, "the enrolment token is damaged (no JSON object inside): copy it again in full");
  }
  const auto& object = value.get_object();
  const boost::json::value* version = object.if_contains("v");
  if (version == nullptr || !version->is_int64() || version->get_int64() != 1) {
    return fail(ErrorCode::unknown_version, "the enrolment token has an unknown version: update logbot-agent");
  }
  EnrolmentToken token;
  auto url = string_member(object, "url");
  auto fingerprint = string_member(object, "fp");
  auto secret = string_member(object, "secret");
  if (!url || !url->starts_with("https://") || url->size() > 512) {
    return fail(ErrorCode::bad_field, "the enrolment token names no https:// cloud address");
  }
  if (!fingerprint || fingerprint->size() != 64 || !is_lower_hex(*fingerprint)) {
    return fail(ErrorCode::bad_field, "the enrolment token carries no valid SHA-256 certificate fingerprint");
  }
  const auto secret_bytes = secret ? crypto::base64url_decode(*secret) : std::nullopt;
  if (!secret_bytes || secret_bytes->size() < kMinimumSecretBytes) {
    return fail(ErrorCode::bad_field, "the enrolment token's secret is missing or too short");
  }
  token.url = std::move(*url);
  token.fingerprint = std::move(*fingerprint);
  token.secret = std::move(*secret);
  return token;
}

}  // namespace logbot::enrolment
