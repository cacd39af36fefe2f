#include "cloud/config/cloud_config.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace logbot::cloud {
namespace {

std::filesystem::path write_file(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / (name + std::to_string(::getpid()));
  std::ofstream(path) << text;
  return path;
}

TEST(CloudConfig, AuditAnchorAndSweepSettings) {
  CloudConfig config;
  config.data_dir = "/var/lib/logbot";
  EXPECT_EQ(config.audit_anchor_file(), "/var/lib/logbot/keys/audit-anchor.log");  // next to the key
  config.key_dir = "/etc/logbot/keys";
  EXPECT_EQ(config.audit_anchor_file(), "/etc/logbot/keys/audit-anchor.log");
  const auto file = write_file("audit.toml", R"(
[session]
sweep_interval_s = 5
[audit]
anchor_file = "/srv/anchor.log"
)");
  apply_toml_file(config, file);
  EXPECT_EQ(config.audit_anchor_file(), "/srv/anchor.log");
  EXPECT_EQ(config.session.sweep_interval_ms, 5000);
  config.session.sweep_interval_ms = 0;
  EXPECT_THROW(validate(config), ConfigError);
  EXPECT_THROW(apply_toml_file(config, write_file("audit-bad.toml", "[audit]\nanchor = \"x\"\n")), ConfigError);
}

TEST(CloudConfig, ReadsEverySection) {
  const auto file = write_file("full.toml", R"(
listen = "0.0.0.0:9443"
data_dir = "/var/lib/logbot"
worker_threads = 4
[tls]
cert = "/etc/logbot/cert.pem"
key = "/etc/logbot/key.pem"
[session]
idle_timeout_s = 600
absolute_timeout_s = 7200
[lockout]
account_failures = 3
ip_failures = 50
wait_s = 30
max_wait_s = 600
failure_reset_s = 3600
)");
  CloudConfig config;
  apply_toml_file(config, file);
  EXPECT_EQ(config.listen, "0.0.0.0:9443");
  EXPECT_EQ(config.data_dir, "/var/lib/logbot");
  EXPECT_EQ(config.worker_threads, 4);
  EXPECT_EQ(config.tls_cert, "/etc/logbot/cert.pem");
  EXPECT_EQ(config.session.idle_timeout_ms, 600'000);
  EXPECT_EQ(config.session.absolute_timeout_ms, 7'200'000);
  EXPECT_EQ(config.lockout.account_failure_factor, 3);
  EXPECT_EQ(config.lockout.ip_failure_factor, 50);
  EXPECT_EQ(config.lockout.wait_increment_ms, 30'000);
  EXPECT_NO_THROW(validate(config));
  std::filesystem::remove(file);
}

TEST(CloudConfig, SyntaxErrorNamesFileAndLine) {
  const auto file = write_file("broken.toml", "listen = \"127.0.0.1:1\"\n\ndata_dir = = 3\n");
  CloudConfig config;
  try {
    apply_toml_file(config, file);
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find(file.string() + ":3:"), std::string::npos) << error.what();
  }
  std::filesystem::remove(file);
}

TEST(CloudConfig, UnknownKeysAndWrongTypesAreErrors) {
  const auto typo = write_file("typo.toml", "[session]\nidle_timeout = 5\n");
  CloudConfig config;
  EXPECT_THROW(apply_toml_file(config, typo), ConfigError);
  const auto type = write_file("type.toml", "worker_threads = \"four\"\n");
  EXPECT_THROW(apply_toml_file(config, type), ConfigError);
  std::filesystem::remove(typo);
  std::filesystem::remove(type);
}

TEST(CloudConfig, EnvironmentOverridesFile) {
  CloudConfig config;
  config.listen = "127.0.0.1:1";
  apply_environment(config, [](const char* name) -> std::optional<std::string> {
    if (std::string(name) == "LOGBOT_LISTEN") return "127.0.0.1:2";
    return std::nullopt;
  });
  EXPECT_EQ(config.listen, "127.0.0.1:2");
}

TEST(CloudConfig, ValidationSaysWhatIsWrong) {
  CloudConfig config;
  config.listen = "nonsense";
  EXPECT_THROW(validate(config), ConfigError);
  config.listen = "localhost:8443";  // the server binds addresses, not names
  EXPECT_THROW(validate(config), ConfigError);
  config = CloudConfig{};
  config.tls_cert = "/x.pem";
  EXPECT_THROW(validate(config), ConfigError);
  config = CloudConfig{};
  config.log_level = "verbose";
  EXPECT_THROW(validate(config), ConfigError);
  config = CloudConfig{};
  config.listen = "[::]:8443";
  EXPECT_NO_THROW(validate(config));
}

}  // namespace
}  // namespace logbot::cloud
