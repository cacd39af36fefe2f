// agent.toml: the documented example parses; every mistake is an error naming FILE:LINE:COLUMN
// and the setting; unknown keys are errors. Also the wss:// address parser it relies on.
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
  auto missing = load_agent_config(directory / "missing.toml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("missing.toml"), std::string::npos);
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
    }
  }
}

}  // namespace
}  // namespace logbot::agent
