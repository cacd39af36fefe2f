#include "cli/session_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>

#include "common/private_files.hpp"

namespace logbot::cli {
namespace {

constexpr std::size_t kMaximumFileBytes = 64 * 1024;

std::string errno_text(int error) {
  return std::strerror(error);
}

std::string string_member(const boost::json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->as_string());
}

}  // namespace

net::Result<std::filesystem::path> session_file_path(const EnvironmentLookup& environment) {
  if (auto directory = environment("LOGBOT_CONFIG_DIR"); directory && !directory->empty())
    return net::Result<std::filesystem::path>(boost::system::in_place_value,
                                              std::filesystem::path(*directory) / "session.json");
  if (auto home = environment("HOME"); home && !home->empty())
    return net::Result<std::filesystem::path>(boost::system::in_place_value,
                                              std::filesystem::path(*home) / ".config" / "logbot" / "session.json");
  return fail(net::ErrorCode::bad_input, "cannot tell where to keep the session: set HOME or LOGBOT_CONFIG_DIR");
}

net::Result<std::optional<StoredSession>> load_session(const std::filesystem::path& file) {
  auto content = read_private_file(file, kMaximumFileBytes);
  if (!content) return fail(content.error().code, content.error().message + ": delete it and run logbot login");
  if (!*content) return std::optional<StoredSession>();
  const std::string& text = **content;
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(text, ec);
  if (ec || !parsed.is_object())
    return fail(net::ErrorCode::bad_input,
                file.string() + " is damaged (not a JSON object): delete it and run logbot login");
  const auto& object = parsed.as_object();
  StoredSession session{string_member(object, "url"), string_member(object, "cookie"),
                        string_member(object, "csrf_token"), string_member(object, "ca_file"),
                        string_member(object, "email")};
  if (session.url.empty() || session.cookie.empty())
    return fail(net::ErrorCode::bad_input,
                file.string() + " is damaged (no url or cookie): delete it and run logbot login");
  return std::optional<StoredSession>(std::move(session));
}

net::Result<void> save_session(const std::filesystem::path& file, const StoredSession& session) {
  const std::filesystem::path directory = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  if (auto ready = ensure_private_directory(directory, "remove it or set LOGBOT_CONFIG_DIR"); !ready) return ready;
  const boost::json::object object{{"url", session.url},
                                   {"cookie", session.cookie},
                                   {"csrf_token", session.csrf_token},
                                   {"ca_file", session.ca_file},
                                   {"email", session.email}};
  const std::string text = boost::json::serialize(object) + "\n";

  // Replaced atomically and created 0600 (common/private_files).
  return write_private_file(file, text, 0600);
}

net::Result<void> remove_session(const std::filesystem::path& file) {
  if (::unlink(file.c_str()) != 0 && errno != ENOENT)
    return fail(net::ErrorCode::io_failed,
                "cannot delete " + file.string() + ": " + errno_text(errno) + " (delete it by hand)");
  return {};
}

}  // namespace logbot::cli
