// `logbot-agent read` and `write` in-process, over a driver scripted in this file: the table's
// columns line up, JSON lines keep reals recognisable as reals, the exit statuses (0 good, 2 a
// tag bad, 1 unreachable or a selection error), a write needs --allow-write and converts a
// scaled value back to the raw value. The real drivers against real peers are tested in
// tests/integration/test_s7.py and test_modbus.py.
#include "agent/collect/commission.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace logbot::agent::collect {
namespace {

struct Script {
  std::map<std::string, std::string> connect_errors;  // PLC name -> connection error
  std::map<std::size_t, Reading> readings;            // config tag index -> its reading
  std::vector<std::pair<std::size_t, Value>> writes;  // what was written (config tag index)
};

class FakeDriver final : public PlcDriver {
 public:
  FakeDriver(Script& script, std::string plc, std::vector<std::size_t> tags)
      : script_(script), plc_(std::move(plc)), tags_(std::move(tags)) {}
  Result<void> connect() override {
    if (auto error = script_.connect_errors.find(plc_); error != script_.connect_errors.end())
      return fail(ErrorCode::unreachable, error->second);
    return {};
  }
  void disconnect() noexcept override {}
  bool connected() const noexcept override { return true; }
  Result<void> read(std::span<const std::size_t> tags, std::span<Reading> out, ReadStats& stats) override {
    stats.round_trips = 2;
    stats.minimum_round_trips = 1;
    stats.items = 3;
    stats.bytes = 40;
    for (std::size_t i = 0; i < tags.size(); ++i) out[i] = script_.readings.at(tags_.at(tags[i]));
    return {};
  }
  Result<void> write(std::size_t tag, const Value& value) override {
    script_.writes.emplace_back(tags_.at(tag), value);
    script_.readings[tags_.at(tag)].value = value;  // what the PLC now holds
    return {};
  }
  std::string describe() const override { return "Fake " + plc_; }

 private:
  Script& script_;
  std::string plc_;
  std::vector<std::size_t> tags_;
};

// The commands' wall clock (bad readings of an unreachable PLC, the write record's time).
const ManualClock kClock(1'795'823'941'123);  // 2026-11-27T23:59:01.123Z

DriverFactory fake_factory(Script& script) {
  return [&script](const CollectConfig& config, std::size_t plc, std::span<const std::size_t> tags) {
    return std::unique_ptr<PlcDriver>(std::make_unique<FakeDriver>(script, config.plcs[plc].name,
                                                                   std::vector<std::size_t>(tags.begin(), tags.end())));
  };
}

Reading good(Value value) {
  Reading reading;
  reading.value = std::move(value);
  reading.quality = Quality::good;
  reading.time_ms = 1'795'823'941'123;  // 2026-11-27T23:59:01.123Z
  return reading;
}

// PLC "press" (S7) with an INT "press.speed" (scaled 0.5) and a REAL "press.temperature";
// PLC "dosing" (Modbus) with a FLOAT32 "dosing.flow".
CollectConfig test_config() {
  CollectConfig config;
  PlcConfig press;
  press.name = "press";
  press.protocol = S7Connection{};
  PlcConfig dosing;
  dosing.name = "dosing";
  dosing.protocol = ModbusConnection{};
  config.plcs = {press, dosing};
  config.groups.push_back(PollGroup{"default", std::chrono::milliseconds(1000), true});
  TagConfig speed;
  speed.name = "press.speed";
  speed.plc = 0;
  s7::Address integer;
  integer.db = 1;
  integer.type = s7::DataType::Int;
  speed.address = integer;
  speed.scale = 0.5;
  TagConfig temperature;
  temperature.name = "press.temperature";
  temperature.plc = 0;
  s7::Address real;
  real.db = 1;
  real.offset = 2;
  real.type = s7::DataType::Real;
  temperature.address = real;
  TagConfig flow;
  flow.name = "dosing.flow";
  flow.plc = 1;
  modbus::Address holding;
  holding.type = modbus::DataType::Float32;
  flow.address = holding;
  config.tags = {speed, temperature, flow};
  return config;
}

struct Output {
  int status;
  std::string out;
  std::string err;
};

Output read(const CollectConfig& config, Script& script, ReadOptions options = {}) {
  std::ostringstream out, err;
  const int status = read_tags(config, options, fake_factory(script), kClock, out, err);
  return {status, out.str(), err.str()};
}

TEST(CommissionRead, AllGoodPrintsAnAlignedTableAndExitsZero) {
  const CollectConfig config = test_config();
  Script script;
  script.readings = {{0, good(std::int64_t{43})}, {1, good(21.5)}, {2, good(-3.0)}};
  const Output result = read(config, script);
  EXPECT_EQ(result.status, 0) << result.err;
  const std::string table =
      "TAG                VALUE  QUALITY  TIME                      STATUS\n"
      "press.speed        21.5   good     2026-11-27T23:59:01.123Z\n"
      "press.temperature  21.5   good     2026-11-27T23:59:01.123Z\n"
      "dosing.flow        -3     good     2026-11-27T23:59:01.123Z\n";
  EXPECT_EQ(result.out.substr(0, table.size()), table);
  // The summary lines end with the measured duration, which is not asserted.
  EXPECT_EQ(result.out.find("press: Fake press: 2 tags in 2 round trips (minimum 1), ", table.size()), table.size())
      << result.out;
  EXPECT_NE(result.out.find("\ndosing: Fake dosing: 1 tag in 2 round trips (minimum 1), "), std::string::npos)
      << result.out;
}

// Columns are counted in characters, not bytes: S7 STRINGs are Latin-1 decoded to UTF-8, so
// "Müller" is 6 characters in 7 bytes. C1 controls (U+009B is a CSI to many terminals) are
// masked like C0 ones.
TEST(CommissionRead, TheTableAlignsNonAsciiValuesAndMasksC1Controls) {
  const CollectConfig config = test_config();
  Script script;
  script.readings = {{0, good(std::int64_t{2})},
                     {1, good(std::string("M\xC3\xBCller"))},
                     {2, good(std::string("a\xC2\x9B"
                                          "2J"))}};
  const Output result = read(config, script);
  EXPECT_EQ(result.status, 0) << result.err;
  const std::string table =
      "TAG                VALUE     QUALITY  TIME                      STATUS\n"
      "press.speed        1         good     2026-11-27T23:59:01.123Z\n"
      "press.temperature  \"M\xC3\xBCller\"  good     2026-11-27T23:59:01.123Z\n"
      "dosing.flow        \"a?2J\"    good     2026-11-27T23:59:01.123Z\n";
  EXPECT_EQ(result.out.substr(0, table.size()), table);
}

TEST(CommissionRead, JsonLinesKeepRealsReal) {
  const CollectConfig config = test_config();
  Script script;
  Reading missing;
  missing.status = "PLC return code 0x0A (object does not exist)";
  missing.time_ms = 1'795'823'941'123;
  script.readings = {{0, good(std::int64_t{8})}, {1, missing}, {2, good(-3.0)}};
  ReadOptions options;
  options.json = true;
  const Output result = read(config, script, options);
  EXPECT_EQ(result.status, 2);
  EXPECT_EQ(
      result.out,
      R"json({"tag":"press.speed","value":4.0,"quality":"good","status":"","time":"2026-11-27T23:59:01.123Z"})json"
      "\n"
      R"json({"tag":"press.temperature","value":null,"quality":"bad","status":"PLC return code 0x0A (object does not exist)","time":"2026-11-27T23:59:01.123Z"})json"
      "\n"
      R"json({"tag":"dosing.flow","value":-3.0,"quality":"good","status":"","time":"2026-11-27T23:59:01.123Z"})json"
      "\n"
      R"json({"plc":"press","round_trips":2,"minimum_round_trips":1,"items":3,"bytes":40,"tags":2,"connected":true,"error":""})json"
      "\n"
      R"json({"plc":"dosing","round_trips":2,"minimum_round_trips":1,"items":3,"bytes":40,"tags":1,"connected":true,"error":""})json"
      "\n");
}

TEST(CommissionRead, AnUnreachablePlcMakesItsTagsBadAndExitsOne) {
  const CollectConfig config = test_config();
  Script script;
  script.connect_errors["dosing"] = "PLC dosing: connection refused";
  script.readings = {{0, good(std::int64_t{2})}, {1, good(1.5)}};
  const Output result = read(config, script);
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.out.find("dosing.flow        -      bad      2026-11-27T23:59:01.123Z"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("PLC dosing: connection refused\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("dosing: Fake dosing: 1 tag not read: PLC dosing: connection refused\n"), std::string::npos)
      << result.out;
}

TEST(CommissionRead, SelectionByTagAndPlc) {
  const CollectConfig config = test_config();
  Script script;
  script.readings = {{0, good(std::int64_t{2})}, {1, good(1.5)}, {2, good(2.5)}};
  ReadOptions by_plc;
  by_plc.plcs = {"dosing"};
  Output result = read(config, script, by_plc);
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.out.find("press"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("dosing.flow"), std::string::npos);

  ReadOptions by_tag;
  by_tag.tags = {"press.temperature"};
  result = read(config, script, by_tag);
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.out.find("press.speed"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("press: Fake press: 1 tag in"), std::string::npos) << result.out;

  ReadOptions unknown;
  unknown.tags = {"press.pressure"};
  result = read(config, script, unknown);
  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.err, "logbot-agent: no [[tag]] is named 'press.pressure' in the configuration\n");
  ReadOptions none;
  none.tags = {"press.speed"};
  none.plcs = {"dosing"};
  result = read(config, script, none);
  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.err, "logbot-agent: no tag matches the selection (--tag and --plc together)\n");
  EXPECT_EQ(read(CollectConfig{}, script).status, 1);
}

TEST(CommissionWrite, NeedsTheExplicitFlag) {
  const CollectConfig config = test_config();
  Script script;
  std::ostringstream out, err;
  WriteOptions options{"press.temperature", "22", false, {}};
  EXPECT_EQ(write_tag(config, options, fake_factory(script), kClock, out, err), 1);
  EXPECT_EQ(err.str(), "logbot-agent: write changes the PLC's process data; add --allow-write to confirm\n");
  EXPECT_TRUE(script.writes.empty());
}

TEST(CommissionWrite, AScaledValueIsConvertedBackAndReadBack) {
  const CollectConfig config = test_config();
  Script script;
  script.readings = {{0, good(std::int64_t{0})}};
  std::ostringstream out, err;
  // press.speed is an INT scaled by 0.5: 21.5 in engineering units is 43 on the PLC.
  const int status =
      write_tag(config, WriteOptions{"press.speed", "21.5", true, {}}, fake_factory(script), kClock, out, err);
  EXPECT_EQ(status, 0) << err.str();
  ASSERT_EQ(script.writes.size(), 1u);
  EXPECT_EQ(script.writes[0].first, 0u);
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(script.writes[0].second));
  EXPECT_EQ(std::get<std::int64_t>(script.writes[0].second), 43);
  EXPECT_EQ(out.str(), "press.speed = 21.5 (written, read back 21.5)\n");

  std::ostringstream out2, err2;
  EXPECT_EQ(write_tag(config, WriteOptions{"press.speed", "fast", true, {}}, fake_factory(script), kClock, out2, err2),
            1);
  EXPECT_EQ(err2.str(),
            "logbot-agent: tag 'press.speed': 'fast' is not a number (the tag is scaled: give the value in its "
            "units)\n");
  EXPECT_EQ(script.writes.size(), 1u);
}

TEST(CommissionWrite, UnknownTagsAndUnreachablePlcsAreErrors) {
  const CollectConfig config = test_config();
  Script script;
  std::ostringstream out, err;
  EXPECT_EQ(write_tag(config, WriteOptions{"nope", "1", true, {}}, fake_factory(script), kClock, out, err), 1);
  EXPECT_EQ(err.str(), "logbot-agent: no [[tag]] is named 'nope' in the configuration\n");
  script.connect_errors["dosing"] = "PLC dosing: connection refused";
  std::ostringstream out2, err2;
  EXPECT_EQ(write_tag(config, WriteOptions{"dosing.flow", "1.5", true, {}}, fake_factory(script), kClock, out2, err2),
            1);
  EXPECT_EQ(err2.str(), "logbot-agent: PLC dosing: connection refused\n");
  EXPECT_TRUE(script.writes.empty());
}

std::vector<boost::json::object> record_lines(const std::filesystem::path& file) {
  std::vector<boost::json::object> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) lines.push_back(boost::json::parse(line).as_object());
  return lines;
}

TEST(CommissionWrite, EveryWriteThatReachesAPlcIsRecorded) {
  const CollectConfig config = test_config();
  const auto directory = std::filesystem::temp_directory_path() / ("logbot-write-record-" + std::to_string(getpid()));
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  const auto file = directory / "writes.log";
  Script script;
  script.readings = {{0, good(std::int64_t{0})}};
  std::ostringstream out, err;
  EXPECT_EQ(write_tag(config, WriteOptions{"press.speed", "21.5", true, file.string()}, fake_factory(script), kClock,
                      out, err),
            0)
      << err.str();
  script.connect_errors["dosing"] = "PLC dosing: connection refused";
  EXPECT_EQ(write_tag(config, WriteOptions{"dosing.flow", "1.5", true, file.string()}, fake_factory(script), kClock,
                      out, err),
            1);
  // Refused before any PLC is contacted: nothing to record.
  EXPECT_EQ(write_tag(config, WriteOptions{"press.speed", "21.5", false, file.string()}, fake_factory(script), kClock,
                      out, err),
            1);

  const auto lines = record_lines(file);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].at("tag").as_string(), "press.speed");
  EXPECT_EQ(lines[0].at("plc").as_string(), "press");
  EXPECT_EQ(lines[0].at("value").as_string(), "21.5");
  EXPECT_EQ(lines[0].at("raw").as_string(), "43");
  EXPECT_EQ(lines[0].at("outcome").as_string(), "written");
  EXPECT_EQ(lines[0].at("read_back").as_string(), "21.5");
  EXPECT_FALSE(lines[0].at("user").as_string().empty());
  EXPECT_EQ(lines[0].at("time").as_string(), "2026-11-27T23:59:01.123Z");
  EXPECT_EQ(lines[1].at("outcome").as_string(), "not connected: PLC dosing: connection refused");

  struct stat status {};
  ASSERT_EQ(::stat(file.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600u);
  std::filesystem::remove_all(directory);
}

TEST(CommissionWrite, NoRecordNoWrite) {
  const CollectConfig config = test_config();
  const auto directory = std::filesystem::temp_directory_path() / ("logbot-write-norecord-" + std::to_string(getpid()));
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory / "writes.log");  // a directory where the file should be
  Script script;
  std::ostringstream out, err;
  EXPECT_EQ(write_tag(config, WriteOptions{"press.speed", "21.5", true, (directory / "writes.log").string()},
                      fake_factory(script), kClock, out, err),
            1);
  EXPECT_NE(err.str().find("cannot open the write record"), std::string::npos) << err.str();
  EXPECT_TRUE(script.writes.empty());
  std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace logbot::agent::collect
