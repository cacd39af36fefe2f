// The automation side of agent.toml: PLC connections, poll groups and tags. Parsed by
// agent/config/agent_config.cpp (errors name FILE:LINE:COLUMN); used by the poll scheduler
// and by `logbot-agent read` / `write`. Reference and a full example: docs/OPERATIONS.md.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "agent/modbus/modbus_address.hpp"
#include "agent/s7/s7_address.hpp"

namespace logbot::agent::collect {

using Milliseconds = std::chrono::milliseconds;

// Which of the PLC's connection resources the agent takes. OP by default, so the
// programming-device (PG) connection stays free for TIA Portal / STEP 7.
enum class S7ConnectionType : std::uint8_t { pg = 1, op = 2, s7_basic = 3 };

struct S7Connection {
  std::uint16_t port = 102;
  std::uint16_t rack = 0;
  std::uint16_t slot = 1;                   // S7-300: 2; S7-1200/1500: 1 (or 0)
  std::optional<std::uint16_t> local_tsap;  // explicit TSAPs (S7-200, LOGO!); both or neither
  std::optional<std::uint16_t> remote_tsap;
  S7ConnectionType connection_type = S7ConnectionType::op;
  std::uint16_t pdu_size = 960;  // requested; the PLC may negotiate less
  // The widest gap (bytes) the read optimiser may read across to merge two tags into one item;
  // it also tries narrower gaps and keeps the plan with the fewest round trips.
  std::uint16_t max_gap = 960;
};

struct ModbusConnection {
  std::uint16_t port = 502;
  std::uint8_t unit_id = 1;
  Milliseconds pause_after_connect{0};
  Milliseconds pause_between_requests{0};
  bool close_after_poll = false;      // for slaves that accept a single master
  std::uint16_t max_registers = 125;  // per read request (1..125)
  std::uint16_t max_gap = 0;          // registers read across between tags to save a request
};

struct PlcConfig {
  std::string name;
  std::string host;                  // IP address or host name of the PLC
  Milliseconds timeout{3000};        // connect and per-request timeout
  Milliseconds reconnect_min{1000};  // backoff after a failure: doubles up to reconnect_max
  Milliseconds reconnect_max{60000};
  std::variant<S7Connection, ModbusConnection> protocol;
};

struct PollGroup {
  std::string name;
  Milliseconds interval{1000};      // 100 ms .. 24 h
  bool report_by_exception = true;  // false: every reading is reported
};

struct TagConfig {
  std::string name;
  std::size_t plc = 0;                                 // index into CollectConfig::plcs
  std::size_t group = 0;                               // index into CollectConfig::groups
  std::string address_text;                            // as written, for messages
  std::variant<s7::Address, modbus::Address> address;  // matches the PLC's protocol
  double deadband = 0;                                 // report-by-exception: absolute, numbers only
  double scale = 1;                                    // value * scale + offset, numbers only (then REAL)
  double offset = 0;
  bool scaled() const noexcept { return scale != 1 || offset != 0; }
};

struct CollectConfig {
  std::vector<PlcConfig> plcs;
  std::vector<PollGroup> groups;  // always holds "default" (1 s) when tags use no group
  std::vector<TagConfig> tags;
};

}  // namespace logbot::agent::collect
