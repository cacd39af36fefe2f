// The agent's uplink to its cloud (docs/ARCHITECTURE.md, device uplink): one coroutine session per connection —
// TCP (bound to the uplink-side interface when configured), TLS presenting the device
// certificate and pinning the cloud's certificate, WebSocket, Hello/HelloAck, then heartbeats
// while reading what the cloud sends (renewed certificates, refusals) — and a loop that
// reconnects forever under ReconnectPolicy. Every await has a timeout; cancelling the
// coroutine (SIGINT/SIGTERM) ends it.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "agent/state/agent_state.hpp"
#include "agent/uplink/reconnect.hpp"
#include "agent/uplink/uplink_url.hpp"

namespace logbot::agent {

struct UplinkOptions {
  std::vector<UplinkUrl> endpoints;               // at least one, tried in order
  std::string bind_address;                       // local IP for every cloud connection; empty: any
  std::string pinned_fingerprint;                 // SHA-256 of the cloud's certificate (cloud.json)
  std::string config_hash;                        // Hello.config_hash
  std::chrono::milliseconds step_timeout{10000};  // connect, TLS, upgrade, Hello/HelloAck, each write
};

class UplinkClient {
 public:
  UplinkClient(const AgentState& state, UplinkOptions options, ReconnectPolicy policy);

  // Runs until cancelled; never completes otherwise. Logs every state change.
  boost::asio::awaitable<void> run();

 private:
  struct SessionEnd {
    bool established = false;  // HelloAck was received
    bool stopped = false;      // the agent is stopping (run() was cancelled)
    std::string reason;
  };
  struct Conversation;

  boost::asio::awaitable<SessionEnd> session(const UplinkUrl& url);
  boost::asio::awaitable<void> read_messages(Conversation& conversation);
  boost::asio::awaitable<void> write_heartbeats(Conversation& conversation);
  void accept_renewal(Conversation& conversation, const std::string& certificate_pem, const std::string& ca_chain_pem);

  const AgentState& state_;
  UplinkOptions options_;
  ReconnectPolicy policy_;
};

}  // namespace logbot::agent
