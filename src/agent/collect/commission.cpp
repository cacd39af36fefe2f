#include "agent/collect/commission.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <utility>
#include <variant>

#include "agent/modbus/modbus_codec.hpp"
#include "agent/s7/s7_value.hpp"
#include "common/printable.hpp"
#include "common/time_format.hpp"

namespace logbot::agent::collect {
namespace {

constexpr std::string_view kPrefix = "logbot-agent: ";

// Terminal columns of UTF-8 text: one per character, not per byte, so a value such as
// "Müller" (an S7 STRING decoded from Latin-1) does not shift the columns after it.
std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (char c : text)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;  // continuation bytes take no column
  return width;
}

std::string plural(std::size_t count, std::string_view noun) {
  return std::to_string(count) + " " + std::string(noun) + (count == 1 ? "" : "s");
}

std::string_view protocol_name(const PlcConfig& plc) {
  return std::holds_alternative<S7Connection>(plc.protocol) ? "S7" : "Modbus TCP";
}

Reading bad_reading(const std::string& status, const Clock& clock) {
  Reading reading;
  reading.quality = Quality::bad;
  reading.status = status;
  reading.time_ms = clock.now_ms();
  return reading;
}

// One PLC's part of a read: its selected tags, what came back, and the cycle's figures.
struct PlcRead {
  std::size_t plc = 0;
  std::vector<std::size_t> tags;  // indexes into config.tags
  std::vector<Reading> readings;
  ReadStats stats;
  bool connected = false;
  std::string error;
  std::string description;
  double elapsed_ms = 0;
};

void read_plc(const CollectConfig& config, const DriverFactory& factory, const Clock& clock, PlcRead& run) {
  const PlcConfig& plc = config.plcs[run.plc];
  auto fail_all = [&](const std::string& message) {
    run.error = message;
    run.readings.assign(run.tags.size(), bad_reading(message, clock));
  };
  std::unique_ptr<PlcDriver> driver = factory ? factory(config, run.plc, run.tags) : nullptr;
  if (!driver) {
    run.description = std::string(protocol_name(plc)) + " " + plc.host;
    return fail_all("PLC '" + plc.name + "': this build of logbot-agent has no " + std::string(protocol_name(plc)) +
                    " driver");
  }
  auto connected = driver->connect();
  run.description = driver->describe();
  if (!connected) return fail_all(connected.error().message);
  run.connected = true;
  std::vector<std::size_t> indexes(run.tags.size());
  for (std::size_t i = 0; i < indexes.size(); ++i) indexes[i] = i;
  run.readings.assign(run.tags.size(), Reading{});
  const auto start = std::chrono::steady_clock::now();
  auto read = driver->read(indexes, run.readings, run.stats);
  run.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  run.description = driver->describe();  // now with the negotiated figures
  driver->disconnect();
  if (!read) {
    run.connected = false;
    return fail_all(read.error().message);
  }
  for (std::size_t i = 0; i < run.tags.size(); ++i) {
    const TagConfig& tag = config.tags[run.tags[i]];
    run.readings[i] = apply_scaling(std::move(run.readings[i]), tag.scale, tag.offset);
    if (run.readings[i].time_ms == 0) run.readings[i].time_ms = clock.now_ms();
  }
}

boost::json::value json_value(const Value& value);

boost::json::value json_value(const Value& value) {
  struct Visitor {
    boost::json::value operator()(std::monostate) const { return nullptr; }
    boost::json::value operator()(bool v) const { return v; }
    boost::json::value operator()(std::int64_t v) const { return v; }
    boost::json::value operator()(std::uint64_t v) const { return v; }
    boost::json::value operator()(double v) const {
      if (!std::isfinite(v)) return nullptr;  // JSON has no NaN or infinity
      return v;
    }
    boost::json::value operator()(const std::string& v) const { return boost::json::string(v); }
    // An array tag is a JSON array of its elements.
    boost::json::value operator()(const Array& v) const {
      boost::json::array elements;
      elements.reserve(v.size());
      for (const Element& element : v) elements.push_back(json_value(to_value(element)));
      return elements;
    }
  };
  return std::visit(Visitor{}, value);
}

std::string time_text(std::int64_t time_ms) {
  return format_iso8601_ms(time_ms);
}

std::string shortest_text(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// A real in its shortest round-trip form, always recognisable as a real ("21.5", "-3.0",
// "1e+20"): a REAL that happens to hold a whole number stays a real for the JSON reader.
std::string json_real(double value) {
  std::string text = shortest_text(value);
  if (text.find_first_of(".eE") == std::string::npos) text += ".0";
  return text;
}

// A member's value; reals, also inside an array, by json_real.
std::string json_text(const boost::json::value& value) {
  if (value.is_double()) return json_real(value.get_double());
  if (!value.is_array()) return boost::json::serialize(value);
  std::string text = "[";
  for (const boost::json::value& element : value.get_array()) {
    if (text.size() > 1) text += ",";
    text += json_text(element);
  }
  return text + "]";
}

// One JSON object on one line, members in the given order. Boost.JSON escapes the strings;
// reals are written by json_real (Boost 1.81 would write 21.5 as "2.15E1").
std::string json_line(std::initializer_list<std::pair<std::string_view, boost::json::value>> members) {
  std::string line = "{";
  for (const auto& [key, value] : members) {
    if (line.size() > 1) line += ",";
    line += boost::json::serialize(boost::json::string(key));
    line += ":";
    line += json_text(value);
  }
  return line + "}";
}

void print_json(const CollectConfig& config, const std::vector<PlcRead>& runs, std::ostream& out) {
  for (const auto& run : runs) {
    for (std::size_t i = 0; i < run.tags.size(); ++i) {
      const Reading& reading = run.readings[i];
      const bool good = reading.quality == Quality::good;
      out << json_line({{"tag", boost::json::string(config.tags[run.tags[i]].name)},
                        {"value", good ? json_value(reading.value) : boost::json::value(nullptr)},
                        {"quality", boost::json::string(good ? "good" : "bad")},
                        {"status", boost::json::string(reading.status)},
                        {"time", boost::json::string(time_text(reading.time_ms))}})
          << "\n";
    }
  }
  for (const auto& run : runs) {
    out << json_line({{"plc", boost::json::string(config.plcs[run.plc].name)},
                      {"round_trips", run.stats.round_trips},
                      {"minimum_round_trips", run.stats.minimum_round_trips},
                      {"items", run.stats.items},
                      {"bytes", run.stats.bytes},
                      {"tags", run.tags.size()},
                      {"connected", run.connected},
                      {"error", boost::json::string(run.error)}})
        << "\n";
  }
}

void print_table(const CollectConfig& config, const std::vector<PlcRead>& runs, std::ostream& out) {
  std::vector<std::array<std::string, 5>> rows;
  rows.push_back({"TAG", "VALUE", "QUALITY", "TIME", "STATUS"});
  for (const auto& run : runs)
    for (std::size_t i = 0; i < run.tags.size(); ++i) {
      const Reading& reading = run.readings[i];
      const bool good = reading.quality == Quality::good;
      rows.push_back({config.tags[run.tags[i]].name, good ? printable(format_value(reading.value)) : "-",
                      good ? "good" : "bad", time_text(reading.time_ms), printable(reading.status)});
    }
  std::array<std::size_t, 5> widths{};
  for (const auto& row : rows)
    for (std::size_t column = 0; column < row.size(); ++column)
      widths[column] = std::max(widths[column], display_width(row[column]));
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t column = 0; column < row.size(); ++column) {
      line += row[column];
      if (column + 1 < row.size()) line += std::string(widths[column] - display_width(row[column]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();  // STATUS is empty when good
    out << line << "\n";
  }
  for (const auto& run : runs) {
    const std::string& name = config.plcs[run.plc].name;
    if (run.connected) {
      std::string minimum;
      if (run.stats.minimum_round_trips > 0)
        minimum = " (minimum " + std::to_string(run.stats.minimum_round_trips) + ")";
      out << name << ": " << printable(run.description) << ": " << plural(run.tags.size(), "tag") << " in "
          << plural(run.stats.round_trips, "round trip") << minimum << ", "
          << static_cast<long long>(std::llround(run.elapsed_ms)) << " ms\n";
    } else {
      out << name << ": " << printable(run.description) << ": " << plural(run.tags.size(), "tag")
          << " not read: " << printable(run.error) << "\n";
    }
  }
}

std::optional<std::size_t> find_tag(const CollectConfig& config, std::string_view name) {
  for (std::size_t i = 0; i < config.tags.size(); ++i)
    if (config.tags[i].name == name) return i;
  return std::nullopt;
}

std::optional<std::size_t> find_plc(const CollectConfig& config, std::string_view name) {
  for (std::size_t i = 0; i < config.plcs.size(); ++i)
    if (config.plcs[i].name == name) return i;
  return std::nullopt;
}

int fail(std::ostream& err, const std::string& message) {
  err << kPrefix << printable(message) << "\n";
  return 1;
}

// Types whose raw value is an integer: a scaled value written to them is rounded.
bool integer_type(const TagConfig& tag) {
  if (const auto* address = std::get_if<s7::Address>(&tag.address))
    return address->type != s7::DataType::Real && address->type != s7::DataType::LReal;
  const auto type = std::get<modbus::Address>(tag.address).type;
  return type != modbus::DataType::Float32 && type != modbus::DataType::Float64;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

struct ParsedWrite {
  Value raw;        // what goes to the PLC
  Value displayed;  // in engineering units
};

using ParsedWriteResult = boost::system::result<ParsedWrite, std::string>;

ParsedWriteResult write_error(std::string message) {
  return ParsedWriteResult(boost::system::in_place_error, std::move(message));
}

ParsedWriteResult parse_write_value(const TagConfig& tag, std::string_view text) {
  auto parse_raw = [&](std::string_view raw_text) -> Result<Value> {
    if (const auto* address = std::get_if<s7::Address>(&tag.address)) return s7::parse_value_text(*address, raw_text);
    return modbus::parse_value_text(std::get<modbus::Address>(tag.address), raw_text);
  };
  if (!tag.scaled()) {
    auto raw = parse_raw(text);
    if (!raw) return write_error(raw.error().message);
    return ParsedWrite{*raw, *raw};
  }
  // A scaled tag's value is in engineering units: raw = (value - offset) / scale.
  const std::string_view number = trim(text);
  double engineering = 0;
  const auto parsed = std::from_chars(number.data(), number.data() + number.size(), engineering);
  if (number.empty() || parsed.ec != std::errc() || parsed.ptr != number.data() + number.size() ||
      !std::isfinite(engineering))
    return write_error("'" + std::string(text) + "' is not a number (the tag is scaled: give the value in its units)");
  const double raw = (engineering - tag.offset) / tag.scale;
  if (!std::isfinite(raw)) return write_error("the value " + std::string(number) + " is out of range for the tag");
  std::string raw_text;
  if (integer_type(tag)) {
    const double rounded = std::round(raw);
    if (!(rounded >= -9.2e18 && rounded <= 1.8e19))
      return write_error("the value " + std::string(number) + " is out of range for the tag");
    raw_text = rounded < 0 ? std::to_string(static_cast<long long>(rounded))
                           : std::to_string(static_cast<unsigned long long>(rounded));
  } else {
    raw_text = shortest_text(raw);
  }
  auto value = parse_raw(raw_text);
  if (!value)
    return write_error("the value " + std::string(number) + " (raw " + raw_text + "): " + value.error().message);
  return ParsedWrite{*value, Value(engineering)};
}

}  // namespace

int read_tags(const CollectConfig& config, const ReadOptions& options, const DriverFactory& factory, const Clock& clock,
              std::ostream& out, std::ostream& err) {
  if (config.tags.empty()) return fail(err, "the configuration defines no [[tag]]: nothing to read");
  std::vector<bool> plc_selected(config.plcs.size(), options.plcs.empty());
  for (const auto& name : options.plcs) {
    auto plc = find_plc(config, name);
    if (!plc) return fail(err, "no [[plc]] is named '" + name + "' in the configuration");
    plc_selected[*plc] = true;
  }
  std::vector<bool> tag_selected(config.tags.size(), options.tags.empty());
  for (const auto& name : options.tags) {
    auto tag = find_tag(config, name);
    if (!tag) return fail(err, "no [[tag]] is named '" + name + "' in the configuration");
    tag_selected[*tag] = true;
  }
  std::vector<PlcRead> runs;
  for (std::size_t plc = 0; plc < config.plcs.size(); ++plc) {
    PlcRead run;
    run.plc = plc;
    for (std::size_t tag = 0; tag < config.tags.size(); ++tag)
      if (tag_selected[tag] && plc_selected[plc] && config.tags[tag].plc == plc) run.tags.push_back(tag);
    if (!run.tags.empty()) runs.push_back(std::move(run));
  }
  if (runs.empty()) return fail(err, "no tag matches the selection (--tag and --plc together)");

  for (auto& run : runs) read_plc(config, factory, clock, run);
  if (options.json)
    print_json(config, runs, out);
  else
    print_table(config, runs, out);

  bool unreachable = false;
  bool some_bad = false;
  for (const auto& run : runs) {
    unreachable = unreachable || !run.connected;
    for (const auto& reading : run.readings) some_bad = some_bad || reading.quality != Quality::good;
  }
  return unreachable ? 1 : some_bad ? 2 : 0;
}

namespace {

// Who runs the command: the login name of the effective user, and the user sudo ran it for.
std::string invoking_user() {
  std::string name = "uid " + std::to_string(geteuid());
  std::array<char, 4096> buffer{};
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(geteuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr)
    name = std::string(found->pw_name) + " (" + name + ")";
  if (const char* sudo_user = std::getenv("SUDO_USER"); sudo_user != nullptr && *sudo_user != '\0')
    name += " via sudo by " + std::string(sudo_user);
  return name;
}

// The write record of `logbot-agent write`, opened before the PLC is contacted.
class WriteRecord {
 public:
  WriteRecord() = default;
  WriteRecord(const WriteRecord&) = delete;
  WriteRecord& operator=(const WriteRecord&) = delete;
  ~WriteRecord() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Empty on success, else why the record cannot be kept.
  std::string open(const std::string& path) {
    if (path.empty()) return {};
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd_ < 0)
      return "cannot open the write record " + path + " (" + std::strerror(errno) +
             "); writes are made only when they can be recorded: run write as the agent's user, or give "
             "--state-dir a directory this user may write";
    path_ = path;
    return {};
  }

  // One JSON line; false (with `error` set) when it could not be appended in full.
  bool append(const boost::json::object& entry, std::string& error) {
    if (fd_ < 0) return true;
    const std::string line = boost::json::serialize(entry) + "\n";
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || ::fsync(fd_) != 0) {
      error = "could not append to the write record " + path_ + " (" + std::strerror(errno) + ")";
      return false;
    }
    return true;
  }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace

int write_tag(const CollectConfig& config, const WriteOptions& options, const DriverFactory& factory,
              const Clock& clock, std::ostream& out, std::ostream& err) {
  if (!options.allow_write) return fail(err, "write changes the PLC's process data; add --allow-write to confirm");
  auto index = find_tag(config, options.tag);
  if (!index) return fail(err, "no [[tag]] is named '" + options.tag + "' in the configuration");
  const TagConfig& tag = config.tags[*index];
  const PlcConfig& plc = config.plcs[tag.plc];
  auto value = parse_write_value(tag, options.value);
  if (!value) return fail(err, "tag '" + tag.name + "': " + value.error());

  const std::size_t tags[] = {*index};
  std::unique_ptr<PlcDriver> driver = factory ? factory(config, tag.plc, tags) : nullptr;
  if (!driver)
    return fail(err, "PLC '" + plc.name + "': this build of logbot-agent has no " + std::string(protocol_name(plc)) +
                         " driver");

  WriteRecord record;
  if (auto problem = record.open(options.record_file); !problem.empty()) return fail(err, problem);
  boost::json::object entry{{"time", format_iso8601_ms(clock.now_ms())},
                            {"user", invoking_user()},
                            {"tag", tag.name},
                            {"plc", plc.name},
                            {"address", tag.address_text},
                            {"value", options.value},
                            {"raw", format_value(value->raw)}};
  // Every outcome is recorded; a write whose record cannot be completed says so.
  const auto finish = [&](std::string outcome, std::string read_back, int status) {
    entry["outcome"] = std::move(outcome);
    if (!read_back.empty()) entry["read_back"] = std::move(read_back);
    std::string problem;
    if (!record.append(entry, problem)) {
      err << kPrefix << printable(problem) << "\n";
      return 1;
    }
    return status;
  };

  if (auto connected = driver->connect(); !connected) {
    const int status = finish("not connected: " + connected.error().message, {}, 1);
    fail(err, connected.error().message);
    return status;
  }
  if (auto written = driver->write(0, value->raw); !written) {
    driver->disconnect();
    const int status = finish("refused: " + written.error().message, {}, 1);
    fail(err, "tag '" + tag.name + "' was not written: " + written.error().message);
    return status;
  }

  const std::size_t first[] = {0};
  Reading reading;
  ReadStats stats;
  auto read = driver->read(first, std::span<Reading>(&reading, 1), stats);
  driver->disconnect();
  const std::string written_text = printable(format_value(value->displayed));
  if (!read) {
    const int status = finish("written", "failed: " + read.error().message, 2);
    out << tag.name << " = " << written_text << " (written; reading it back failed: " << printable(read.error().message)
        << ")\n";
    return status;
  }
  reading = apply_scaling(std::move(reading), tag.scale, tag.offset);
  if (reading.quality != Quality::good) {
    const int status = finish("written", "failed: " + reading.status, 2);
    out << tag.name << " = " << written_text << " (written; reading it back failed: " << printable(reading.status)
        << ")\n";
    return status;
  }
  const int status = finish("written", format_value(reading.value), 0);
  out << tag.name << " = " << written_text << " (written, read back " << printable(format_value(reading.value))
      << ")\n";
  return status;
}

}  // namespace logbot::agent::collect
