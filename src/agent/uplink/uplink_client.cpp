#include "agent/uplink/uplink_client.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fstream>
#include <optional>
#include <sstream>

#include "agent/uplink/device_identity.hpp"
#include "agent/uplink/dialer.hpp"
#include "agent/uplink/session.hpp"
#include "common/await_timeout.hpp"

namespace logbot::agent {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using uplink::ErrorCode;

namespace {

std::optional<std::string> read_text(const std::filesystem::path& file) {
  std::ifstream stream(file, std::ios::binary);
  if (!stream) return std::nullopt;
  std::ostringstream content;
  content << stream.rdbuf();
  return content.str();
}

uplink::SessionEnd failed_attempt(uplink::Error error) {
  uplink::SessionEnd end;
  end.error = std::move(error);
  return end;
}

}  // namespace

UplinkClient::UplinkClient(const AgentState& state, UplinkOptions options, ReconnectPolicy policy, const Clock& clock)
    : state_(state), options_(std::move(options)), policy_(std::move(policy)), clock_(clock) {}

// GCC 12 reports -Wmismatched-new-delete inside Asio's awaitable frame allocator (a known false
// positive, as in https_client.cpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

asio::awaitable<void> UplinkClient::run() {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (;;) {
    const UplinkUrl& url = options_.endpoints[policy_.endpoint()];
    const uplink::SessionEnd end = co_await attempt(url);
    if (end.stopped || (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
      co_return;
    if (end.established) {
      const milliseconds delay = policy_.after_connection_lost();
      spdlog::warn("uplink: connection lost ({}); retrying in {}", end.error.message, seconds_text(delay));
      pause.expires_after(delay);
    } else {
      const milliseconds delay = policy_.after_failure();
      if (policy_.endpoint() != 0)
        spdlog::warn("uplink: cannot connect to {} ({}); trying {}", url.text, end.error.message,
                     options_.endpoints[policy_.endpoint()].text);
      else
        spdlog::warn("uplink: cannot connect to {} ({}); retrying in {}", url.text, end.error.message,
                     seconds_text(delay));
      pause.expires_after(delay);
    }
    // Throws operation_aborted when the agent stops: that ends run().
    co_await pause.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<uplink::SessionEnd> UplinkClient::attempt(const UplinkUrl& url) {
  // The identity of this attempt: a renewal interrupted by a crash is completed first.
  if (auto recovered = recover_interrupted_renewal(state_); !recovered)
    co_return failed_attempt(fail(ErrorCode::identity_unusable, recovered.error().message));
  const auto certificate_pem = read_text(state_.certificate_file());
  if (!certificate_pem)
    co_return failed_attempt(fail(ErrorCode::identity_unusable, "cannot read " + state_.certificate_file().string()));
  auto validity = read_certificate_validity(*certificate_pem);
  if (!validity)
    co_return failed_attempt(
        fail(ErrorCode::identity_unusable, validity.error().message + " (" + state_.certificate_file().string() + ")"));

  uplink::DialOptions dial_options;
  dial_options.certificate_file = state_.certificate_file();
  dial_options.key_file = state_.key_file();
  dial_options.pinned_fingerprint = options_.pinned_fingerprint;
  dial_options.bind_address = options_.bind_address;
  dial_options.step_timeout = options_.step_timeout;
  auto connection = co_await uplink::dial(url, dial_options);
  if (!connection) co_return failed_attempt(connection.error());

  uplink::SessionOptions session_options;
  session_options.url_text = url.text;
  session_options.config_hash = options_.config_hash;
  session_options.step_timeout = options_.step_timeout;
  uplink::Session session(*connection->stream, state_, clock_, std::move(session_options), validity->renewal_due_ms());
  co_return co_await session.run();
}

#pragma GCC diagnostic pop

}  // namespace logbot::agent
