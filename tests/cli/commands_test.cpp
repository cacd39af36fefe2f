// The `logbot` commands driven through a Console, without a terminal or a server: what each says
// when it cannot go on (no session, a damaged one, no terminal, a bad option), and the table
// format of `audit`. The commands against a real server are tests/integration/test_cli.py.
#include "cli/commands.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace logbot::cli {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int status = 0;
  std::string out;
  std::string err;
};

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "logbot-cli-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    config_dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(config_dir_); }

  Outcome run(std::vector<std::string> args, const std::string& input = "", bool terminal = false) {
    args.insert(args.begin(), "logbot");
    std::vector<const char*> argv;
    for (const auto& arg : args) argv.push_back(arg.c_str());
    std::istringstream in(input);
    std::ostringstream out;
    std::ostringstream err;
    const std::map<std::string, std::string> variables{{"LOGBOT_CONFIG_DIR", config_dir_.string()}};
    Console console{in,
                    out,
                    err,
                    [variables](const char* name) -> std::optional<std::string> {
                      const auto found = variables.find(name);
                      if (found == variables.end()) return std::nullopt;
                      return found->second;
                    },
                    terminal,
                    [this](const std::string& prompt, bool secret) -> std::optional<std::string> {
                      prompts_.push_back(prompt + (secret ? " (secret)" : ""));
                      return std::nullopt;
                    }};
    Outcome result;
    result.status = run_cli(static_cast<int>(argv.size()), argv.data(), console);
    result.out = out.str();
    result.err = err.str();
    return result;
  }

  fs::path config_dir_;
  std::vector<std::string> prompts_;
};

TEST_F(CommandsTest, WithoutASessionEveryCommandSaysHowToLogIn) {
  for (const std::string command : {"whoami", "audit", "logout"}) {
    const Outcome result = run({command});
    if (command == "logout") {
      // Logging out when not logged in is not a failure.
      EXPECT_EQ(result.status, 0) << result.err;
      continue;
    }
    EXPECT_EQ(result.status, 1) << command;
    EXPECT_NE(result.err.find("logbot: not logged in: run logbot login --url https://HOST:PORT"), std::string::npos)
        << command << ": " << result.err;
    EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << "one line: " << result.err;
  }
}

TEST_F(CommandsTest, ADamagedSessionFileIsNamed) {
  std::ofstream(config_dir_ / "session.json") << "{\"url\": 1}";
  fs::permissions(config_dir_ / "session.json", fs::perms::owner_read | fs::perms::owner_write);
  const Outcome result = run({"whoami"});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find((config_dir_ / "session.json").string()), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("delete it and run logbot login"), std::string::npos) << result.err;
}

TEST_F(CommandsTest, LoginNeedsATerminalOrPasswordStdin) {
  const Outcome no_terminal = run({"login", "--url", "https://127.0.0.1:1", "--email", "erin@example.com"});
  EXPECT_EQ(no_terminal.status, 1);
  EXPECT_NE(no_terminal.err.find("--password-stdin"), std::string::npos) << no_terminal.err;
  EXPECT_TRUE(prompts_.empty());

  const Outcome empty_stdin =
      run({"login", "--url", "https://127.0.0.1:1", "--email", "erin@example.com", "--password-stdin"});
  EXPECT_EQ(empty_stdin.status, 1);
  EXPECT_NE(empty_stdin.err.find("standard input is empty"), std::string::npos) << empty_stdin.err;

  // On a terminal the password is asked for without echo; no answer is a clear failure.
  const Outcome asked = run({"login", "--url", "https://127.0.0.1:1", "--email", "erin@example.com"}, "", true);
  EXPECT_EQ(asked.status, 1);
  ASSERT_EQ(prompts_.size(), 1u);
  EXPECT_EQ(prompts_[0], "Password:  (secret)");
  EXPECT_NE(asked.err.find("no password given"), std::string::npos) << asked.err;
  EXPECT_FALSE(fs::exists(config_dir_ / "session.json"));
}

TEST_F(CommandsTest, LoginRefusesAPlainHttpUrlBeforeSendingThePassword) {
  const Outcome result = run(
      {"login", "--url", "http://127.0.0.1:1", "--email", "erin@example.com", "--password-stdin"}, "secret password\n");
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("https://"), std::string::npos) << result.err;
}

TEST_F(CommandsTest, BadCommandLinesFail) {
  EXPECT_EQ(run({}).status, 1);
  EXPECT_EQ(run({"frobnicate"}).status, 1);
  EXPECT_EQ(run({"audit", "--limit", "0"}).status, 1);
  EXPECT_EQ(run({"audit", "--limit", "10001"}).status, 1);
  EXPECT_EQ(run({"login", "--email", "erin@example.com"}).status, 1);  // --url is required
  const Outcome version = run({"--version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_EQ(version.out.rfind("logbot ", 0), 0u) << version.out;
}

TEST(FormatTable, ColumnsAlignByWhatTheTerminalShowsAndControlsAreMasked) {
  const std::string table = format_table({"Date", "Event", "Details"},
                                         {{"2026-12-02", "LOGIN", "ok"}, {"2026-12-02", "ÄNDERUNG", "x\x1b[31my"}});
  std::istringstream lines(table);
  std::string header, first, second;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_EQ(header, "Date        Event     Details");
  EXPECT_EQ(first, "2026-12-02  LOGIN     ok");
  // "ÄNDERUNG" is 8 columns wide (9 bytes); ESC never reaches the terminal.
  EXPECT_EQ(second.find('\x1b'), std::string::npos) << second;
  EXPECT_EQ(second.rfind("2026-12-02  ÄNDERUNG  x", 0), 0u) << second;
}

}  // namespace
}  // namespace logbot::cli
