// agent.toml: the documented examples parse (uplink and automation); every mistake is an error
// naming FILE:LINE:COLUMN and the setting; unknown keys are errors. Also the wss:// address
// parser it relies on.
#include "agent/config/agent_config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "agent/uplink/uplink_url.hpp"

namespace logbot::agent {
namespace {

std::string error_of(std::string_view text) {
  auto parsed = parse_agent_config(text, "agent.toml");
  EXPECT_FALSE(parsed) << "accepted: " << text;
  return parsed ? std::string() : parsed.error().message;
}

TEST(AgentConfig, TheDocumentedExampleParses) {
  auto config = parse_agent_config(R"(
state_dir = "/var/lib/logbot-agent"
[uplink]
endpoints = ["wss://cloud.example.com:8444/api/v1/devices/uplink", "wss://[::1]/api/v1/devices/uplink"]
bind_address = "192.0.2.10"     # the uplink-side interface address (optional)
[automation]
bind_address = "10.0.0.2"
)",
                                   "agent.toml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->state_dir, "/var/lib/logbot-agent");
  EXPECT_EQ(config->uplink_endpoints, (std::vector<std::string>{"wss://cloud.example.com:8444/api/v1/devices/uplink",
                                                                "wss://[::1]:443/api/v1/devices/uplink"}));
  EXPECT_EQ(config->uplink_bind_address, "192.0.2.10");
  EXPECT_EQ(config->automation_bind_address, "10.0.0.2");
}

TEST(AgentConfig, EverythingIsOptional) {
  auto config = parse_agent_config("", "agent.toml");
  ASSERT_TRUE(config);
  EXPECT_TRUE(config->state_dir.empty());
  EXPECT_TRUE(config->uplink_endpoints.empty());
  EXPECT_TRUE(config->uplink_bind_address.empty());
}

TEST(AgentConfig, UnknownKeysAreErrorsWithTheirPlace) {
  EXPECT_EQ(error_of("state_dir = \"/x\"\nstatedir = \"/y\"\n"),
            "agent.toml:2:1: unknown setting 'statedir' (see docs/OPERATIONS.md for the agent's settings)");
  EXPECT_NE(
      error_of("[uplink]\nbind_adress = \"10.0.0.1\"\n").find("agent.toml:2:1: unknown setting 'uplink.bind_adress'"),
      std::string::npos);
  EXPECT_NE(error_of("[automation]\nendpoints = []\n").find("agent.toml:2:1: unknown setting 'automation.endpoints'"),
            std::string::npos);
  EXPECT_EQ(error_of("[tunnel]\n").rfind("agent.toml:1:", 0), 0u);
  EXPECT_NE(error_of("[tunnel]\n").find("unknown setting 'tunnel'"), std::string::npos);
}

TEST(AgentConfig, WrongTypesAndValuesAreErrors) {
  EXPECT_NE(error_of("state_dir = 5\n").find("agent.toml:1:13: 'state_dir' must be a non-empty string"),
            std::string::npos);
  EXPECT_NE(error_of("uplink = 1\n").find("agent.toml:1:10: 'uplink' must be a table"), std::string::npos);
  EXPECT_NE(error_of("[uplink]\nendpoints = \"wss://a/\"\n").find("agent.toml:2:13: 'uplink.endpoints' must be"),
            std::string::npos);
  EXPECT_NE(error_of("[uplink]\nendpoints = []\n").find("non-empty list"), std::string::npos);
  EXPECT_NE(error_of("[uplink]\nendpoints = [1]\n").find("agent.toml:2:14: 'uplink.endpoints' entries must be strings"),
            std::string::npos);
  const std::string plaintext = error_of("[uplink]\nendpoints = [\"wss://ok/\",\n  \"ws://plain:80/\"]\n");
  EXPECT_NE(plaintext.find("agent.toml:3:3:"), std::string::npos) << plaintext;
  EXPECT_NE(plaintext.find("must start with wss://"), std::string::npos) << plaintext;
  EXPECT_NE(error_of("[uplink]\nbind_address = \"eth0\"\n")
                .find("agent.toml:2:16: 'uplink.bind_address' = 'eth0' is not an IP address"),
            std::string::npos);
  EXPECT_NE(
      error_of("[automation]\nbind_address = \"\"\n").find("'automation.bind_address' must be a non-empty string"),
      std::string::npos);
}

TEST(AgentConfig, SyntaxErrorsNameTheLine) {
  const std::string message = error_of("state_dir = \"/x\"\n[uplink\n");
  EXPECT_EQ(message.rfind("agent.toml:2:", 0), 0u) << message;
}

TEST(AgentConfig, LoadReadsAFileAndNamesIt) {
  const auto directory = std::filesystem::temp_directory_path() / ("agent-config-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(directory);
  const auto file = directory / "agent.toml";
  {
    std::ofstream out(file);
    out << "[uplink]\nbind_address = \"127.0.0.2\"\nextra = 1\n";
  }
  auto loaded = load_agent_config(file);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message.rfind(file.string() + ":3:1: unknown setting 'uplink.extra'", 0), 0u)
      << loaded.error().message;
  EXPECT_EQ(loaded.error().code, net::ErrorCode::bad_input);
  auto missing = load_agent_config(directory / "missing.toml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("missing.toml"), std::string::npos);
  EXPECT_EQ(missing.error().code, net::ErrorCode::io_failed);
  std::filesystem::remove_all(directory);
}

TEST(AgentConfig, CanonicalTextChangesWithEverySetting) {
  AgentConfig a;
  AgentConfig b = a;
  b.uplink_bind_address = "10.0.0.1";
  AgentConfig c = a;
  c.uplink_endpoints = {"wss://a:1/"};
  EXPECT_NE(a.canonical_text(), b.canonical_text());
  EXPECT_NE(a.canonical_text(), c.canonical_text());
  EXPECT_NE(b.canonical_text(), c.canonical_text());
}

// ---- the automation side: [[plc]], [poll_groups], [[tag]] ----

// The reference example of docs/OPERATIONS.md: one S7 and one Modbus PLC, every setting.
constexpr const char* kAutomationExample = R"([automation]
bind_address = "127.0.0.1"

[[plc]]
name = "press"
protocol = "s7"
host = "127.0.0.1"
port = 10102
rack = 0
slot = 1
connection_type = "OP"
pdu_size = 960
max_gap = 16
timeout = "3s"
reconnect_min = "1s"
reconnect_max = "60s"

[[plc]]
name = "dosing"
protocol = "modbus"
host = "10.0.0.20"
port = 5020
max_gap = 4
timeout = "500ms"
reconnect_min = "2s"
reconnect_max = "2m"
unit_id = 7
pause_after_connect = "100ms"
pause_between_requests = "20ms"
close_after_poll = true
max_registers = 100

[poll_groups]
fast = { interval = "100ms" }
slow = { interval = "1m", report = "always" }

[[tag]]
name = "press.temperature"
plc = "press"
address = "DB10.DBD8"
type = "REAL"
group = "fast"
deadband = 0.5
scale = 1.0
offset = 0.0

[[tag]]
name = "press.running"
plc = "press"
address = "M5.1"

[[tag]]
name = "dosing.flow"
plc = "dosing"
address = "hr:100"
type = "FLOAT32"
order = "CDAB"
group = "slow"
scale = 3.6
offset = -1

[[tag]]
name = "dosing.pump"
plc = "dosing"
address = "coil:3"
group = "fast"
)";

TEST(AgentConfigAutomation, TheFullExampleParses) {
  auto config = parse_agent_config(kAutomationExample, "agent.toml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->automation_bind_address, "127.0.0.1");
  const auto& collect = config->collect;
  ASSERT_EQ(collect.plcs.size(), 2u);

  const auto& press = collect.plcs[0];
  EXPECT_EQ(press.name, "press");
  EXPECT_EQ(press.host, "127.0.0.1");
  EXPECT_EQ(press.timeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(press.reconnect_min, std::chrono::milliseconds(1000));
  EXPECT_EQ(press.reconnect_max, std::chrono::milliseconds(60000));
  const auto* s7 = std::get_if<collect::S7Connection>(&press.protocol);
  ASSERT_NE(s7, nullptr);
  EXPECT_EQ(s7->port, 10102);
  EXPECT_EQ(s7->rack, 0);
  EXPECT_EQ(s7->slot, 1);
  EXPECT_FALSE(s7->local_tsap);
  EXPECT_EQ(s7->connection_type, collect::S7ConnectionType::op);
  EXPECT_EQ(s7->pdu_size, 960);
  EXPECT_EQ(s7->max_gap, 16);

  const auto& dosing = collect.plcs[1];
  EXPECT_EQ(dosing.name, "dosing");
  EXPECT_EQ(dosing.timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(dosing.reconnect_min, std::chrono::milliseconds(2000));
  EXPECT_EQ(dosing.reconnect_max, std::chrono::milliseconds(120000));
  const auto* modbus = std::get_if<collect::ModbusConnection>(&dosing.protocol);
  ASSERT_NE(modbus, nullptr);
  EXPECT_EQ(modbus->port, 5020);
  EXPECT_EQ(modbus->unit_id, 7);
  EXPECT_EQ(modbus->pause_after_connect, std::chrono::milliseconds(100));
  EXPECT_EQ(modbus->pause_between_requests, std::chrono::milliseconds(20));
  EXPECT_TRUE(modbus->close_after_poll);
  EXPECT_EQ(modbus->max_registers, 100);
  EXPECT_EQ(modbus->max_gap, 4);

  // The named groups, then "default" for the tag that names none.
  ASSERT_EQ(collect.groups.size(), 3u);
  EXPECT_EQ(collect.groups[0].name, "fast");
  EXPECT_EQ(collect.groups[0].interval, std::chrono::milliseconds(100));
  EXPECT_TRUE(collect.groups[0].report_by_exception);
  EXPECT_EQ(collect.groups[1].name, "slow");
  EXPECT_EQ(collect.groups[1].interval, std::chrono::milliseconds(60000));
  EXPECT_FALSE(collect.groups[1].report_by_exception);
  EXPECT_EQ(collect.groups[2].name, "default");
  EXPECT_EQ(collect.groups[2].interval, std::chrono::milliseconds(1000));
  EXPECT_TRUE(collect.groups[2].report_by_exception);

  ASSERT_EQ(collect.tags.size(), 4u);
  const auto& temperature = collect.tags[0];
  EXPECT_EQ(temperature.name, "press.temperature");
  EXPECT_EQ(temperature.plc, 0u);
  EXPECT_EQ(temperature.group, 0u);
  EXPECT_EQ(temperature.address_text, "DB10.DBD8");
  const auto* real = std::get_if<s7::Address>(&temperature.address);
  ASSERT_NE(real, nullptr);
  EXPECT_EQ(real->area, s7::Area::data_block);
  EXPECT_EQ(real->db, 10);
  EXPECT_EQ(real->offset, 8u);
  EXPECT_EQ(real->type, s7::DataType::Real);
  EXPECT_EQ(temperature.deadband, 0.5);
  EXPECT_FALSE(temperature.scaled());

  const auto& running = collect.tags[1];
  EXPECT_EQ(running.group, 2u);  // default
  ASSERT_TRUE(std::holds_alternative<s7::Address>(running.address));
  EXPECT_EQ(std::get<s7::Address>(running.address).type, s7::DataType::Bool);
  EXPECT_EQ(std::get<s7::Address>(running.address).bit, 1);

  const auto& flow = collect.tags[2];
  EXPECT_EQ(flow.plc, 1u);
  EXPECT_EQ(flow.group, 1u);
  const auto* holding = std::get_if<modbus::Address>(&flow.address);
  ASSERT_NE(holding, nullptr);
  EXPECT_EQ(holding->table, modbus::Table::holding_registers);
  EXPECT_EQ(holding->offset, 100);
  EXPECT_EQ(holding->type, modbus::DataType::Float32);
  EXPECT_EQ(holding->order, modbus::ByteOrder::CDAB);
  EXPECT_EQ(flow.scale, 3.6);
  EXPECT_EQ(flow.offset, -1.0);
  EXPECT_TRUE(flow.scaled());

  const auto* coil = std::get_if<modbus::Address>(&collect.tags[3].address);
  ASSERT_NE(coil, nullptr);
  EXPECT_EQ(coil->table, modbus::Table::coils);
  EXPECT_EQ(coil->type, modbus::DataType::Bool);
}

TEST(AgentConfigAutomation, DefaultsApplyAndNoDefaultGroupWithoutUngroupedTags) {
  auto config = parse_agent_config(R"([[plc]]
name = "a"
protocol = "s7"
host = "plc-1.example"
[[plc]]
name = "b"
protocol = "modbus"
host = "::1"
[poll_groups]
only = { interval = "5s" }
[[tag]]
name = "x"
plc = "b"
address = "hr:1"
group = "only"
)",
                                   "agent.toml");
  ASSERT_TRUE(config) << config.error().message;
  const auto& collect = config->collect;
  const auto& s7 = std::get<collect::S7Connection>(collect.plcs[0].protocol);
  EXPECT_EQ(s7.port, 102);
  EXPECT_EQ(s7.rack, 0);
  EXPECT_EQ(s7.slot, 1);
  EXPECT_EQ(s7.connection_type, collect::S7ConnectionType::op);
  EXPECT_EQ(collect.plcs[0].timeout, std::chrono::milliseconds(3000));
  const auto& modbus = std::get<collect::ModbusConnection>(collect.plcs[1].protocol);
  EXPECT_EQ(modbus.port, 502);
  EXPECT_EQ(modbus.unit_id, 1);
  EXPECT_EQ(modbus.max_registers, 125);
  EXPECT_EQ(modbus.max_gap, 0);
  EXPECT_FALSE(modbus.close_after_poll);
  ASSERT_EQ(collect.groups.size(), 1u);  // no tag needs "default"
  EXPECT_EQ(std::get<modbus::Address>(collect.tags[0].address).type, modbus::DataType::UInt16);
}

TEST(AgentConfigAutomation, NoPlcAtAllIsFine) {
  auto config = parse_agent_config("[automation]\nbind_address = \"10.0.0.2\"\n", "agent.toml");
  ASSERT_TRUE(config);
  EXPECT_TRUE(config->collect.plcs.empty());
  EXPECT_TRUE(config->collect.tags.empty());
  EXPECT_TRUE(config->collect.groups.empty());
}

TEST(AgentConfigAutomation, ExplicitTsapsAndConnectionTypes) {
  auto config = parse_agent_config(R"([[plc]]
name = "logo"
protocol = "s7"
host = "10.0.0.3"
local_tsap = 0x0100
remote_tsap = 0x0200
connection_type = "S7-basic"
pdu_size = 240
[[plc]]
name = "pg"
protocol = "s7"
host = "10.0.0.4"
connection_type = "PG"
rack = 0
slot = 2
)",
                                   "agent.toml");
  ASSERT_TRUE(config) << config.error().message;
  const auto& logo = std::get<collect::S7Connection>(config->collect.plcs[0].protocol);
  EXPECT_EQ(logo.local_tsap, std::optional<std::uint16_t>(0x0100));
  EXPECT_EQ(logo.remote_tsap, std::optional<std::uint16_t>(0x0200));
  EXPECT_EQ(logo.connection_type, collect::S7ConnectionType::s7_basic);
  EXPECT_EQ(logo.pdu_size, 240);
  EXPECT_EQ(std::get<collect::S7Connection>(config->collect.plcs[1].protocol).connection_type,
            collect::S7ConnectionType::pg);
  EXPECT_EQ(std::get<collect::S7Connection>(config->collect.plcs[1].protocol).slot, 2);
}

TEST(AgentConfigAutomation, DurationsTakeOneUnit) {
  auto interval_of = [](const std::string& text) {
    auto config = parse_agent_config("[poll_groups]\ng = { interval = \"" + text + "\" }\n", "agent.toml");
    return config ? config->collect.groups.at(0).interval.count() : -1;
  };
  EXPECT_EQ(interval_of("100ms"), 100);
  EXPECT_EQ(interval_of("5s"), 5000);
  EXPECT_EQ(interval_of("2m"), 120000);
  EXPECT_EQ(interval_of("24h"), 86400000);
  EXPECT_EQ(interval_of("99ms"), -1);  // below 100 ms
  EXPECT_EQ(interval_of("25h"), -1);   // above 24 h
  for (const char* bad : {"", "1", "ms", "1.5s", "1 s", "1sec", "-1s", "1s500ms", "1S", "9999999999999h"})
    EXPECT_EQ(interval_of(bad), -1) << bad;
  EXPECT_EQ(error_of("[poll_groups]\ng = { interval = \"1 s\" }\n"),
            "agent.toml:2:18: poll group 'g': 'interval' must be a duration from 100ms to 24h written with one "
            "unit, e.g. \"500ms\", \"3s\", \"2m\" or \"1h\"");
}

// A minimal valid S7 PLC and Modbus PLC to put a faulty line after.
constexpr const char* kTwoPlcs = R"([[plc]]
name = "s"
protocol = "s7"
host = "127.0.0.1"
[[plc]]
name = "m"
protocol = "modbus"
host = "127.0.0.1"
)";

TEST(AgentConfigAutomation, PlcErrorsNameTheirPlace) {
  const std::string plc = "[[plc]]\nname = \"p\"\nprotocol = \"s7\"\nhost = \"10.0.0.1\"\n";  // lines 1-4
  EXPECT_EQ(error_of(plc + "colour = 1\n"),
            "agent.toml:5:1: unknown setting 'plc.colour' (see docs/OPERATIONS.md for the agent's settings)");
  EXPECT_EQ(error_of(plc + "unit_id = 1\n"),
            "agent.toml:5:1: plc 'p': 'unit_id' applies to Modbus PLCs only (this PLC's protocol is s7)");
  EXPECT_EQ(error_of("[[plc]]\nname = \"m\"\nprotocol = \"modbus\"\nhost = \"h\"\nslot = 2\n"),
            "agent.toml:5:1: plc 'm': 'slot' applies to S7 PLCs only (this PLC's protocol is modbus)");
  EXPECT_EQ(error_of(plc + "port = 0\n"), "agent.toml:5:8: plc 'p': 'port' must be an integer from 1 to 65535");
  EXPECT_EQ(error_of(plc + "port = \"102\"\n"), "agent.toml:5:8: plc 'p': 'port' must be an integer from 1 to 65535");
  EXPECT_EQ(error_of(plc + "rack = 8\n"), "agent.toml:5:8: plc 'p': 'rack' must be an integer from 0 to 7");
  EXPECT_EQ(error_of(plc + "slot = 32\n"), "agent.toml:5:8: plc 'p': 'slot' must be an integer from 0 to 31");
  EXPECT_EQ(error_of(plc + "pdu_size = 200\n"),
            "agent.toml:5:12: plc 'p': 'pdu_size' must be an integer from 240 to 960");
  EXPECT_EQ(error_of(plc + "max_gap = -1\n"), "agent.toml:5:11: plc 'p': 'max_gap' must be an integer from 0 to 960");
  EXPECT_EQ(error_of(plc + "connection_type = \"op\"\n"),
            "agent.toml:5:19: plc 'p': connection_type 'op' is not one of \"PG\", \"OP\", \"S7-basic\"");
  EXPECT_EQ(error_of(plc + "local_tsap = 0x0100\n"),
            "agent.toml:5:14: plc 'p': give both 'local_tsap' and 'remote_tsap', or neither (then rack and slot "
            "decide)");
  EXPECT_EQ(error_of(plc + "local_tsap = 0x0100\nremote_tsap = 0x0200\nslot = 1\n"),
            "agent.toml:7:8: plc 'p': 'rack'/'slot' and explicit TSAPs exclude each other: the TSAPs already name "
            "the CPU");
  EXPECT_EQ(error_of(plc + "timeout = \"50ms\"\n"),
            "agent.toml:5:11: plc 'p': 'timeout' must be a duration from 100ms to 10m written with one unit, e.g. "
            "\"500ms\", \"3s\", \"2m\" or \"1h\"");
  EXPECT_EQ(error_of(plc + "reconnect_min = \"10s\"\nreconnect_max = \"5s\"\n"),
            "agent.toml:6:17: plc 'p': 'reconnect_max' (5s) is shorter than 'reconnect_min' (10s)");
  EXPECT_EQ(error_of(plc + "reconnect_min = \"2m\"\n"),
            "agent.toml:5:17: plc 'p': 'reconnect_max' (1m) is shorter than 'reconnect_min' (2m)");

  const std::string modbus = "[[plc]]\nname = \"m\"\nprotocol = \"modbus\"\nhost = \"10.0.0.1\"\n";
  EXPECT_EQ(error_of(modbus + "unit_id = 256\n"),
            "agent.toml:5:11: plc 'm': 'unit_id' must be an integer from 0 to 255");
  // Reserved by Modbus and refused by libmodbus: an error at load time, not at every connect.
  EXPECT_EQ(error_of(modbus + "unit_id = 248\n"),
            "agent.toml:5:11: plc 'm': 'unit_id' 248 is reserved in Modbus: use 0 to 247, or 255 for a device "
            "addressed by its IP address alone");
  EXPECT_EQ(error_of(modbus + "unit_id = 254\n").substr(0, 40), "agent.toml:5:11: plc 'm': 'unit_id' 254 ");
  EXPECT_TRUE(parse_agent_config(modbus + "unit_id = 247\n", "agent.toml"));
  EXPECT_TRUE(parse_agent_config(modbus + "unit_id = 255\n", "agent.toml"));
  EXPECT_EQ(error_of(modbus + "max_registers = 126\n"),
            "agent.toml:5:17: plc 'm': 'max_registers' must be an integer from 1 to 125");
  EXPECT_EQ(error_of(modbus + "max_gap = 125\n"),
            "agent.toml:5:11: plc 'm': 'max_gap' must be an integer from 0 to 124");
  EXPECT_EQ(error_of(modbus + "close_after_poll = \"yes\"\n"),
            "agent.toml:5:20: plc 'm': 'close_after_poll' must be true or false");
  EXPECT_EQ(error_of(modbus + "pause_between_requests = \"2m\"\n"),
            "agent.toml:5:26: plc 'm': 'pause_between_requests' must be a duration from 0ms to 1m written with one "
            "unit, e.g. \"500ms\", \"3s\", \"2m\" or \"1h\"");

  EXPECT_EQ(error_of("[[plc]]\nprotocol = \"s7\"\nhost = \"h\"\n"),
            "agent.toml:1:1: plc: 'name' is missing (each [[plc]] needs a name)");
  EXPECT_EQ(error_of("[[plc]]\nname = \"bad name\"\n"),
            "agent.toml:2:8: plc: name 'bad name' must be 1 to 64 characters from A-Z a-z 0-9 _ . -");
  EXPECT_EQ(error_of("[[plc]]\nname = \"p\"\nhost = \"h\"\n"),
            "agent.toml:1:1: plc 'p': 'protocol' is missing (\"s7\" or \"modbus\")");
  EXPECT_EQ(error_of("[[plc]]\nname = \"p\"\nprotocol = \"profinet\"\n"),
            "agent.toml:3:12: plc 'p': protocol 'profinet' is not supported (use \"s7\" or \"modbus\")");
  EXPECT_EQ(error_of("[[plc]]\nname = \"p\"\nprotocol = \"s7\"\n"),
            "agent.toml:1:1: plc 'p': 'host' is missing (the PLC's IP address or host name)");
  EXPECT_EQ(error_of("[[plc]]\nname = \"p\"\nprotocol = \"s7\"\nhost = \"10.0.0.1:102\"\n"),
            "agent.toml:4:8: plc 'p': host '10.0.0.1:102' is not an IP address or host name (give the port in "
            "'port')");
  EXPECT_EQ(error_of(std::string(kTwoPlcs) + "[[plc]]\nname = \"s\"\nprotocol = \"s7\"\nhost = \"h\"\n"),
            "agent.toml:10:8: plc 's' is defined twice (PLC names must be unique)");
  EXPECT_EQ(error_of("[plc]\nname = \"p\"\n"), "agent.toml:1:1: 'plc' must be written as [[plc]] tables");
}

TEST(AgentConfigAutomation, PollGroupErrorsNameTheirPlace) {
  EXPECT_EQ(error_of("[poll_groups]\nfast = { interval = \"1s\", repot = \"always\" }\n"),
            "agent.toml:2:27: unknown setting 'poll_groups.fast.repot' (see docs/OPERATIONS.md for the agent's "
            "settings)");
  EXPECT_EQ(error_of("[poll_groups]\nfast = { report = \"always\" }\n"),
            "agent.toml:2:8: poll group 'fast': 'interval' is missing (100ms to 24h, e.g. \"1s\")");
  EXPECT_EQ(error_of("[poll_groups]\nfast = { interval = \"1s\", report = \"sometimes\" }\n"),
            "agent.toml:2:36: poll group 'fast': report 'sometimes' is not one of \"change\" (report by exception) "
            "or \"always\"");
  EXPECT_EQ(error_of("[poll_groups]\nfast = \"1s\"\n"),
            "agent.toml:2:8: poll group 'fast': must be a table such as { interval = \"1s\", report = \"change\" }");
  EXPECT_EQ(error_of("[poll_groups]\n\"a b\" = { interval = \"1s\" }\n"),
            "agent.toml:2:9: poll group 'a b': the name must be 1 to 64 characters from A-Z a-z 0-9 _ . -");
  auto table_form = parse_agent_config("[poll_groups.slow]\ninterval = \"1h\"\nreport = \"always\"\n", "agent.toml");
  ASSERT_TRUE(table_form) << table_form.error().message;
  EXPECT_EQ(table_form->collect.groups.at(0).interval, std::chrono::milliseconds(3'600'000));
  EXPECT_EQ(error_of("poll_groups = 5\n"), "agent.toml:1:15: 'poll_groups' must be a table ([poll_groups])");
}

TEST(AgentConfigAutomation, TagErrorsNameTheirPlace) {
  const std::string base = std::string(kTwoPlcs) + "[poll_groups]\nfast = { interval = \"100ms\" }\n";  // 10 lines
  auto tag = [&](const std::string& lines) { return error_of(base + "[[tag]]\n" + lines); };            // lines from 12
  EXPECT_EQ(tag("name = \"t\"\nplc = \"s\"\naddress = \"DB1.DBW0\"\ncolour = 1\n"),
            "agent.toml:15:1: unknown setting 'tag.colour' (see docs/OPERATIONS.md for the agent's settings)");
  EXPECT_EQ(tag("plc = \"s\"\n"), "agent.toml:11:1: tag: 'name' is missing (each [[tag]] needs a name)");
  EXPECT_EQ(tag("name = \"t t\"\n"),
            "agent.toml:12:8: tag: name 't t' must be 1 to 128 characters from A-Z a-z 0-9 _ . -");
  EXPECT_EQ(tag("name = \"" + std::string(129, 'x') + "\"\n").find("agent.toml:12:8: tag: name 'xxx"), 0u);
  EXPECT_EQ(tag("name = \"t\"\naddress = \"DB1.DBW0\"\n"),
            "agent.toml:11:1: tag 't': 'plc' is missing (the name of a [[plc]])");
  EXPECT_EQ(tag("name = \"t\"\nplc = \"x\"\naddress = \"DB1.DBW0\"\n"),
            "agent.toml:13:7: tag 't': no [[plc]] is named 'x'");
  EXPECT_EQ(tag("name = \"t\"\nplc = \"s\"\n"),
            "agent.toml:11:1: tag 't': 'address' is missing (an S7 address such as \"DB10.DBD8\")");
  EXPECT_EQ(tag("name = \"t\"\nplc = \"m\"\n"),
            "agent.toml:11:1: tag 't': 'address' is missing (a Modbus address such as \"hr:100\")");
  EXPECT_EQ(tag("name = \"t\"\nplc = \"s\"\naddress = \"DB1.DBW0\"\ngroup = \"slow\"\n"),
            "agent.toml:15:9: tag 't': no poll group 'slow' in [poll_groups]");
  EXPECT_EQ(tag("name = \"t\"\nplc = \"s\"\naddress = \"DB1.DBW0\"\norder = \"CDAB\"\n"),
            "agent.toml:15:9: tag 't': 'order' applies to Modbus tags only (S7 values are always big-endian)");
  // Address errors: the parser's own sentence after the place of the address.
  const std::string s7_error = tag("name = \"t\"\nplc = \"s\"\naddress = \"DB1.DBQ0\"\n");
  EXPECT_EQ(s7_error.rfind("agent.toml:14:11: tag 't': ", 0), 0u) << s7_error;
  EXPECT_GT(s7_error.size(), std::string("agent.toml:14:11: tag 't': ").size() + 5) << s7_error;
  const std::string type_error = tag("name = \"t\"\nplc = \"s\"\naddress = \"DB1.DBW0\"\ntype = \"QUATERNION\"\n");
  EXPECT_EQ(type_error.rfind("agent.toml:14:11: tag 't': ", 0), 0u) << type_error;
  const std::string modbus_error = tag("name = \"t\"\nplc = \"m\"\naddress = \"xx:1\"\n");
  EXPECT_EQ(modbus_error.rfind("agent.toml:14:11: tag 't': ", 0), 0u) << modbus_error;
  const std::string order_error =
      tag("name = \"t\"\nplc = \"m\"\naddress = \"hr:1\"\ntype = \"FLOAT32\"\norder = \"XYZW\"\n");
  EXPECT_EQ(order_error.rfind("agent.toml:14:11: tag 't': ", 0), 0u) << order_error;
  // Numbers only.
  EXPECT_EQ(tag("name = \"t\"\nplc = \"s\"\naddress = \"M0.0\"\ndeadband = 1\n"),
            "agent.toml:15:12: tag 't': 'deadband' applies to numbers only, not to a BOOL");
  EXPECT_EQ(tag("name = \"t\"\nplc = \"s\"\naddress = \"DB1.DBB0\"\ntype = \"STRING[10]\"\nscale = 2\n"),
            "agent.toml:16:9: tag 't': 'scale' applies to numbers only, not to a STRING");
  EXPECT_EQ(tag("name = \"t\"\nplc = \"m\"\naddress = \"coil:1\"\noffset = 2\n"),
            "agent.toml:15:10: tag 't': 'offset' applies to numbers only, not to a BOOL");
  EXPECT_EQ(tag("name = \"t\"\nplc = \"s\"\naddress = \"DB1.DBW0\"\ndeadband = -1\n"),
            "agent.toml:15:12: tag 't': 'deadband' must not be negative");
  EXPECT_EQ(tag("name = \"t\"\nplc = \"s\"\naddress = \"DB1.DBW0\"\ndeadband = \"1\"\n"),
            "agent.toml:15:12: tag 't': 'deadband' must be a number");
  EXPECT_EQ(tag("name = \"t\"\nplc = \"s\"\naddress = \"DB1.DBW0\"\nscale = nan\n"),
            "agent.toml:15:9: tag 't': 'scale' must be a number");
  EXPECT_EQ(tag("name = \"t\"\nplc = \"s\"\naddress = \"DB1.DBW0\"\nscale = 0\n"),
            "agent.toml:15:9: tag 't': 'scale' must not be 0 (a write divides by it)");
  EXPECT_EQ(tag("name = \"t\"\nplc = \"s\"\naddress = \"DB1.DBW0\"\n[[tag]]\nname = \"t\"\nplc = \"m\"\naddress = "
                "\"hr:0\"\n"),
            "agent.toml:16:8: tag 't' is defined twice (tag names must be unique)");
  EXPECT_EQ(error_of("tag = 1\n"), "agent.toml:1:7: 'tag' must be written as [[tag]] tables");
}

TEST(AgentConfigAutomation, CanonicalTextCoversTheAutomationSettings) {
  auto base = parse_agent_config(kAutomationExample, "agent.toml");
  ASSERT_TRUE(base) << base.error().message;
  const std::string text = base->canonical_text();
  const std::string example = kAutomationExample;
  auto changed = [&](const std::string& from, const std::string& to) {
    std::string modified = example;
    const auto at = modified.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    modified.replace(at, from.size(), to);
    auto config = parse_agent_config(modified, "agent.toml");
    EXPECT_TRUE(config) << config.error().message;
    return config && config->canonical_text() != text;
  };
  EXPECT_TRUE(changed("port = 10102", "port = 10103"));
  EXPECT_TRUE(changed("slot = 1", "slot = 2"));
  EXPECT_TRUE(changed("connection_type = \"OP\"", "connection_type = \"PG\""));
  EXPECT_TRUE(changed("pdu_size = 960", "pdu_size = 480"));
  EXPECT_TRUE(changed("timeout = \"3s\"", "timeout = \"4s\""));
  EXPECT_TRUE(changed("unit_id = 7", "unit_id = 8"));
  EXPECT_TRUE(changed("close_after_poll = true", "close_after_poll = false"));
  EXPECT_TRUE(changed("interval = \"100ms\"", "interval = \"200ms\""));
  EXPECT_TRUE(changed("report = \"always\"", "report = \"change\""));
  EXPECT_TRUE(changed("address = \"DB10.DBD8\"", "address = \"DB10.DBD12\""));
  EXPECT_TRUE(changed("order = \"CDAB\"", "order = \"DCBA\""));
  EXPECT_TRUE(changed("deadband = 0.5", "deadband = 0.25"));
  EXPECT_TRUE(changed("scale = 3.6", "scale = 3.7"));
  auto again = parse_agent_config(kAutomationExample, "agent.toml");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->canonical_text(), text) << "the same settings must hash the same";
}

TEST(UplinkUrl, ParsesHostPortAndTarget) {
  auto url = parse_uplink_url("WSS://Cloud.Example.com:8444/api/v1/devices/uplink");
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(url->host, "cloud.example.com");
  EXPECT_EQ(url->port, 8444);
  EXPECT_EQ(url->target, "/api/v1/devices/uplink");
  EXPECT_FALSE(url->host_is_ip);
  EXPECT_EQ(url->text, "wss://cloud.example.com:8444/api/v1/devices/uplink");
  EXPECT_EQ(url->host_header(), "cloud.example.com:8444");

  url = parse_uplink_url("wss://127.0.0.1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/");
  EXPECT_TRUE(url->host_is_ip);

  url = parse_uplink_url("wss://[::1]:9/x");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->host_header(), "[::1]:9");
  EXPECT_TRUE(url->host_is_ip);
}

TEST(UplinkUrl, RefusesWhatIsNotASecureWebSocketAddress) {
  for (const char* bad :
       {"", "ws://a/", "https://a/", "wss://", "wss://:80/", "wss://a:0/", "wss://a:65536/", "wss://a:/", "wss://a:8x/",
        "wss://user@a/", "wss://a/#frag", "wss://[::1/", "wss://[zz]/", "wss://a b/", "wss://a/\x01", "wss://a:1:2/"}) {
    auto url = parse_uplink_url(bad);
    EXPECT_FALSE(url) << bad;
    if (!url) {
      EXPECT_NE(url.error().message.find("is not usable"), std::string::npos);
      EXPECT_EQ(url.error().code, net::ErrorCode::bad_url);
    }
  }
}

}  // namespace
}  // namespace logbot::agent
