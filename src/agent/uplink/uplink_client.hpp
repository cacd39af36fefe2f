// The agent's uplink to its cloud (docs/ARCHITECTURE.md, device uplink): a loop that, for each
// attempt, loads the device identity (finishing a renewal a crash interrupted), dials
// (uplink/dialer.hpp: TCP, TLS with the device certificate, WebSocket) and runs one session
// (uplink/session.hpp: Hello/HelloAck, then heartbeats and renewals through one writer while
// the cloud's messages are dispatched), and reconnects forever under ReconnectPolicy.
// Cancelling run() (the agent's stop: SIGINT/SIGTERM) ends it.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "agent/state/agent_state.hpp"
#include "agent/uplink/reconnect.hpp"
#include "agent/uplink/uplink_url.hpp"
#include "common/clock.hpp"

namespace logbot::agent {

namespace uplink {
struct SessionEnd;
}

struct UplinkOptions {
  std::vector<UplinkUrl> endpoints;               // at least one, tried in order
  std::string bind_address;                       // local IP for every cloud connection; empty: any
  std::string pinned_fingerprint;                 // SHA-256 of the cloud's certificate (cloud.json)
  std::string config_hash;                        // Hello.config_hash
  std::chrono::milliseconds step_timeout{10000};  // connect, TLS, upgrade, Hello/HelloAck, each write
};

class UplinkClient {
 public:
  // `state` and `clock` (the wall clock: heartbeats, renewal times) outlive the client.
  UplinkClient(const AgentState& state, UplinkOptions options, ReconnectPolicy policy, const Clock& clock);

  // Runs until cancelled; never completes otherwise. Logs every state change.
  boost::asio::awaitable<void> run();

 private:
  boost::asio::awaitable<uplink::SessionEnd> attempt(const UplinkUrl& url);

  const AgentState& state_;
  UplinkOptions options_;
  ReconnectPolicy policy_;
  const Clock& clock_;
};

}  // namespace logbot::agent
