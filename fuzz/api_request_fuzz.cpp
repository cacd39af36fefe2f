// Fuzzes the whole API pipeline (routing, authentication, CSRF, tenancy, handlers) with
// hostile requests against an in-memory database holding one organisation.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "cloud/admin/admin_commands.hpp"
#include "cloud/api/dispatcher.hpp"
#include "cloud/db/schema.hpp"
#include "cloud/http/request_target.hpp"
#include "cloud/services.hpp"

namespace {

using namespace logbot;
using namespace logbot::cloud;

struct World {
  ManualClock clock{1'800'000'000'000};
  CloudConfig config;
  std::unique_ptr<Services> services;
  World() {
    config.argon2.iterations = 1;
    config.argon2.memory_bytes = 8 * 1024;  // fuzzing speed; production uses the OWASP minimum
    auto db = Database::open_in_memory();
    migrate(*db);
    services = std::make_unique<Services>(config, std::move(db), clock,
                                          ServiceKeys{std::string(32, 'k'), std::string(32, 's')});
    services->device_ca = DeviceCa::load_or_create(*services->db, std::string(32, 's'), clock);
    services->set_identity(
        {"https://127.0.0.1:8443", std::string(64, 'f'), "wss://127.0.0.1:8444/api/v1/devices/uplink"});
    (void)provision_org(*services, "Acme", "alice@example.com", "correct horse battery", Requester{});
  }
};

// Input layout: method byte, then target, '\n', header lines "name: value\n", '\n', body.
http::Request decode(std::string_view input) {
  static constexpr const char* kMethods[] = {"GET", "POST", "PATCH", "DELETE", "HEAD", "PUT"};
  http::Request request;
  request.peer_ip = "203.0.113.7";
  if (input.empty()) return request;
  request.method = kMethods[static_cast<unsigned char>(input[0]) % 6];
  input.remove_prefix(1);
  auto line_end = input.find('\n');
  request.target = std::string(input.substr(0, line_end));
  input = line_end == std::string_view::npos ? std::string_view{} : input.substr(line_end + 1);
  while (!input.empty()) {
    line_end = input.find('\n');
    const std::string_view line = input.substr(0, line_end);
    input = line_end == std::string_view::npos ? std::string_view{} : input.substr(line_end + 1);
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    request.headers.emplace_back(std::move(name), std::string(value));
  }
  request.body = std::string(input);
  return request;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  http::Request request = decode(std::string_view(reinterpret_cast<const char*>(data), size));
  const auto target = http::parse_request_target(request.target);
  if (!target) return 0;
  request.path = target->path;
  request.query = target->query;
  const http::Response response = api::dispatch(*world.services, request);
  if (response.status < 100 || response.status > 599) __builtin_trap();
  // No request without a session may read or change tenant data.
  if (request.path.starts_with("/api/v1/orgs") && response.status < 300 &&
      request.header("cookie").find("__Host-logbot_session") == std::string_view::npos)
    __builtin_trap();
  world.clock.advance_ms(1000);
  return 0;
}
