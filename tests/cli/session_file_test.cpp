// The CLI's stored login: where it lives, that it round-trips, that it is private from its
// creation on, and that a damaged file is an error that says what to do (never a crash, never
// a silent "not logged in").
#include "cli/session_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace logbot::cli {
namespace {

namespace fs = std::filesystem;

EnvironmentLookup environment_of(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](const char* name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    if (found == variables.end()) return std::nullopt;
    return found->second;
  };
}

class SessionFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "logbot-cli-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
  }

  fs::path root_;
};

mode_t mode_of(const fs::path& path) {
  struct stat status {};
  EXPECT_EQ(::stat(path.c_str(), &status), 0) << path;
  return status.st_mode & 0777;
}

TEST_F(SessionFileTest, ConfigDirWinsOverHomeAndNeitherIsAnError) {
  EXPECT_EQ(*session_file_path(environment_of({{"LOGBOT_CONFIG_DIR", "/x/cfg"}, {"HOME", "/home/e"}})),
            fs::path("/x/cfg/session.json"));
  EXPECT_EQ(*session_file_path(environment_of({{"HOME", "/home/e"}})), fs::path("/home/e/.config/logbot/session.json"));
  // An empty variable counts as unset.
  EXPECT_EQ(*session_file_path(environment_of({{"LOGBOT_CONFIG_DIR", ""}, {"HOME", "/home/e"}})),
            fs::path("/home/e/.config/logbot/session.json"));
  const auto nowhere = session_file_path(environment_of({}));
  ASSERT_FALSE(nowhere);
  EXPECT_NE(nowhere.error().message.find("set HOME or LOGBOT_CONFIG_DIR"), std::string::npos);
  EXPECT_EQ(nowhere.error().code, net::ErrorCode::bad_input);
}

TEST_F(SessionFileTest, SavedSessionLoadsBackAndIsPrivate) {
  const fs::path file = root_ / "new" / "dir" / "session.json";
  const StoredSession saved{"https://cloud.example:8443", "v1.cookie", "csrf", "/etc/ca.pem", "erin@example.com"};
  ASSERT_TRUE(save_session(file, saved));
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(mode_of(file.parent_path()), 0700u);
  const auto loaded = load_session(file);
  ASSERT_TRUE(loaded) << loaded.error().message;
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->url, saved.url);
  EXPECT_EQ((*loaded)->cookie, saved.cookie);
  EXPECT_EQ((*loaded)->csrf_token, saved.csrf_token);
  EXPECT_EQ((*loaded)->ca_file, saved.ca_file);
  EXPECT_EQ((*loaded)->email, saved.email);

  // Saving again replaces the file whole.
  ASSERT_TRUE(save_session(file, StoredSession{"https://other:1", "v1.second", "", "", ""}));
  EXPECT_EQ((*load_session(file))->cookie, "v1.second");
  EXPECT_EQ((*load_session(file))->ca_file, "");
}

TEST_F(SessionFileTest, NoFileIsNotLoggedInAndRemovingItTwiceIsFine) {
  const fs::path file = root_ / "session.json";
  const auto loaded = load_session(file);
  ASSERT_TRUE(loaded);
  EXPECT_FALSE(loaded->has_value());
  EXPECT_TRUE(remove_session(file));
  ASSERT_TRUE(save_session(file, StoredSession{"https://h:1", "v1.c", "", "", ""}));
  EXPECT_TRUE(remove_session(file));
  EXPECT_FALSE(fs::exists(file));
  EXPECT_TRUE(remove_session(file));
}

TEST_F(SessionFileTest, DamagedFilesSayHowToRecover) {
  const fs::path file = root_ / "session.json";
  for (const std::string text : {std::string("not json"), std::string("[1, 2]"),
                                 std::string("{\"url\": \"https://h:1\"}"), std::string("{\"cookie\": \"v1.c\"}"),
                                 std::string("{\"url\": 5, \"cookie\": \"v1.c\"}"), std::string("\xff\xfe{")}) {
    write(file, text);
    ::chmod(file.c_str(), 0600);
    const auto loaded = load_session(file);
    ASSERT_FALSE(loaded) << text;
    EXPECT_NE(loaded.error().message.find(file.string()), std::string::npos) << loaded.error().message;
    EXPECT_NE(loaded.error().message.find("delete it and run logbot login"), std::string::npos)
        << loaded.error().message;
    EXPECT_EQ(loaded.error().code, net::ErrorCode::bad_input) << text;
  }
}

TEST_F(SessionFileTest, AnOversizedFileIsRefusedNotRead) {
  const fs::path file = root_ / "session.json";
  write(file, "{\"url\": \"https://h:1\", \"cookie\": \"" + std::string(70 * 1024, 'c') + "\"}");
  ::chmod(file.c_str(), 0600);
  const auto loaded = load_session(file);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("delete it and run logbot login"), std::string::npos) << loaded.error().message;
  EXPECT_EQ(loaded.error().code, net::ErrorCode::bad_input);
}

TEST_F(SessionFileTest, ADirectoryInTheWayIsAnError) {
  const fs::path blocker = root_ / "blocker";
  write(blocker, "a file, not a directory");
  const auto saved = save_session(blocker / "session.json", StoredSession{"https://h:1", "v1.c", "", "", ""});
  ASSERT_FALSE(saved);
  EXPECT_FALSE(saved.error().message.empty());
  EXPECT_EQ(saved.error().code, net::ErrorCode::bad_input);
}

}  // namespace
}  // namespace logbot::cli
