#include "agent/state/agent_state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>

#include "common/crypto/random.hpp"
#include "common/private_files.hpp"

namespace logbot::agent {
namespace {

constexpr std::size_t kMaximumStateFileBytes = 1024 * 1024;

std::string string_member(const boost::json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->as_string());
}

}  // namespace

bool is_canonical_uuid_v4(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return text[14] == '4' && (text[19] == '8' || text[19] == '9' || text[19] == 'a' || text[19] == 'b');
}

AgentState::AgentState(std::filesystem::path directory, std::string device_uuid)
    : directory_(std::move(directory)), device_uuid_(std::move(device_uuid)) {}

net::Result<AgentState> AgentState::open(const std::filesystem::path& directory) {
  if (directory.empty()) return fail(net::ErrorCode::bad_input, "the state directory must not be empty");
  if (auto made = ensure_private_directory(directory, "remove it or choose another --state-dir"); !made)
    return made.error();
  AgentState state(directory, {});
  const std::filesystem::path id_file = directory / "device-id";
  auto existing = read_private_file(id_file, kMaximumStateFileBytes);
  if (!existing) return existing.error();
  if (*existing) {
    std::string text = std::move(**existing);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (!is_canonical_uuid_v4(text))
      return fail(net::ErrorCode::bad_input,
                  id_file.string() +
                      " is damaged (not a UUID v4): restore it from a backup; deleting it gives this device a new "
                      "identity that must be registered again");
    state.device_uuid_ = std::move(text);
    return state;
  }
  // First start: the device's identity for good. link() would refuse to overwrite, but two
  // agents racing on one state directory is not a supported setup; the rename is atomic.
  std::string uuid = crypto::uuid_v4();
  if (auto written = state.write_file(id_file, uuid + "\n", 0644); !written) return written.error();
  state.device_uuid_ = std::move(uuid);
  return state;
}

bool AgentState::has_certificate() const {
  std::error_code ec;
  return std::filesystem::exists(certificate_file(), ec);
}

bool AgentState::has_key() const {
  std::error_code ec;
  return std::filesystem::exists(key_file(), ec);
}

net::Result<std::string> AgentState::read_key_pem() const {
  auto content = read_private_file(key_file(), kMaximumStateFileBytes);
  if (!content) return content.error();
  if (!*content) return fail(net::ErrorCode::io_failed, key_file().string() + " does not exist");
  return net::Result<std::string>(boost::system::in_place_value, std::move(**content));
}

net::Result<std::optional<CloudBinding>> AgentState::read_cloud_binding() const {
  auto content = read_private_file(cloud_file(), kMaximumStateFileBytes);
  if (!content) return content.error();
  if (!*content) return std::optional<CloudBinding>();
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(**content, ec);
  if (ec || !value.is_object())
    return fail(net::ErrorCode::bad_input,
                cloud_file().string() + " is damaged (not a JSON object): enrol again with --force");
  const auto& object = value.as_object();
  CloudBinding binding{string_member(object, "url"),
                       string_member(object, "fingerprint"),
                       string_member(object, "device_id"),
                       string_member(object, "org_id"),
                       {}};
  if (const auto* urls = object.if_contains("uplink_urls"); urls != nullptr && urls->is_array())
    for (const auto& url : urls->as_array())
      if (url.is_string()) binding.uplink_urls.emplace_back(url.as_string());
  return std::optional<CloudBinding>(std::move(binding));
}

net::Result<void> AgentState::write_file(const std::filesystem::path& file, std::string_view content,
                                         unsigned mode) const {
  return write_private_file(file, content, mode);
}

net::Result<void> AgentState::write_cloud_binding(const CloudBinding& binding) const {
  boost::json::object object{{"url", binding.url},
                             {"fingerprint", binding.fingerprint},
                             {"device_id", binding.device_id},
                             {"org_id", binding.org_id}};
  if (!binding.uplink_urls.empty()) {
    boost::json::array urls;
    for (const auto& url : binding.uplink_urls) urls.emplace_back(url);
    object["uplink_urls"] = std::move(urls);
  }
  return write_file(cloud_file(), boost::json::serialize(object) + "\n", 0644);
}

}  // namespace logbot::agent
