// agent.toml: where the agent keeps its state and which interfaces its two networks use
// ("logical separation of grids": cloud traffic from the uplink-side address, PLC traffic from
// the automation-side address). Unknown keys are errors, so a typo never silently falls back
// to a default; every error names FILE:LINE:COLUMN. Reference: docs/OPERATIONS.md.
//
//   state_dir = "/var/lib/logbot-agent"
//   [uplink]
//   endpoints = ["wss://cloud.example.com:8444/api/v1/devices/uplink"]
//   bind_address = "192.0.2.10"
//   [automation]
//   bind_address = "10.0.0.2"
//   [[plc]] ...  [poll_groups] ...  [[tag]] ...   (the PLC collectors: agent/collect/collect_config.hpp)
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "agent/collect/collect_config.hpp"
#include "common/net/error.hpp"

namespace logbot::agent {

struct AgentConfig {
  std::string state_dir;                      // empty: not set (the command line or the default decides)
  std::vector<std::string> uplink_endpoints;  // wss:// URLs, validated; empty: those in cloud.json
  std::string uplink_bind_address;            // an IP literal, or empty: any local address
  std::string automation_bind_address;        // an IP literal, or empty
  std::string enrolment_token;                // used by `run` at first start, when not enrolled yet
  collect::CollectConfig collect;             // PLC connections, poll groups and tags (may be empty)

  // A canonical text of every setting (sent as SHA-256 in Hello.config_hash).
  std::string canonical_text() const;
};

// `source` names the text in errors (the file's path).
net::Result<AgentConfig> parse_agent_config(std::string_view text, const std::string& source);
net::Result<AgentConfig> load_agent_config(const std::filesystem::path& file);

}  // namespace logbot::agent
