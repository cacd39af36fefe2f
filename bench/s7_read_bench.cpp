// S7 read benchmark: 1,000 scattered tags (a fixed seed) over DB1..DB20 against the snap7 server
// (tests/peers/s7_server.mjs --fill bench), measured in one run:
//   1. the read optimiser: Read Var PDUs (round trips) per poll cycle at the negotiated PDU size,
//      versus the minimum that PDU size allows (ReadPlan::minimum_pdus);
//   2. the baseline: snap7's own client reading the same list with ReadMultiVars, one item per
//      tag, 20 items per call (bench/snap7_multivars.mjs, run from here): calls per cycle;
//   3. tags/s over N cycles: the agent's S7 driver versus that baseline.
// scripts/bench-s7 starts the server and runs this; docs/PERFORMANCE.md has the figures.
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <boost/json.hpp>
#include <fmt/core.h>

#include "agent/collect/collect_config.hpp"
#include "agent/collect/driver.hpp"
#include "agent/s7/s7_address.hpp"
#include "agent/s7/s7_driver.hpp"
#include "agent/s7/s7_plan.hpp"

namespace {

using logbot::agent::collect::PlcConfig;
using logbot::agent::collect::Quality;
using logbot::agent::collect::ReadStats;
using logbot::agent::collect::Reading;
using logbot::agent::collect::S7Connection;
namespace s7 = logbot::agent::s7;

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  unsigned cycles = 200;
  unsigned tags = 1000;
  std::uint64_t seed = 20261127;
  std::uint16_t pdu_size = logbot::agent::collect::S7Connection{}.pdu_size;
  std::uint16_t max_gap = logbot::agent::collect::S7Connection{}.max_gap;  // agent.toml's defaults
  std::string snap7_script;  // empty: no baseline
  std::string node = "node";
};

// SplitMix64: the same tag list on every platform and standard library (std distributions are not).
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  unsigned below(unsigned bound) { return static_cast<unsigned>(next() % bound); }

 private:
  std::uint64_t state_;
};

struct BenchTag {
  unsigned db = 0;
  unsigned start = 0;
  unsigned bit = 0;
  std::string_view type;
  std::string address;
};

// Random DBs 1..20 (2,000 bytes each), random offsets, a mix of BOOL/INT/DINT/REAL/WORD.
std::vector<BenchTag> scattered_tags(unsigned count, std::uint64_t seed) {
  constexpr std::array<std::string_view, 5> kTypes = {"BOOL", "INT", "DINT", "REAL", "WORD"};
  Random random(seed);
  std::vector<BenchTag> tags;
  tags.reserve(count);
  for (unsigned i = 0; i < count; ++i) {
    BenchTag tag;
    tag.db = 1 + random.below(20);
    tag.type = kTypes[random.below(kTypes.size())];
    tag.start = random.below(1997);
    tag.bit = random.below(8);
    if (tag.type == "BOOL") tag.address = fmt::format("DB{}.DBX{}.{}", tag.db, tag.start, tag.bit);
    else if (tag.type == "INT" || tag.type == "WORD") tag.address = fmt::format("DB{}.DBW{}", tag.db, tag.start);
    else tag.address = fmt::format("DB{}.DBD{}", tag.db, tag.start);
    tags.push_back(std::move(tag));
  }
  return tags;
}

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "s7_read_bench: %s\n", message.c_str());
  std::exit(1);
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view name = argv[i];
    if (name == "--help") {
      std::puts("usage: s7_read_bench --port P [--host H] [--cycles N] [--tags N] [--seed S] [--pdu-size B]\n"
                "                     [--max-gap B] [--snap7-script bench/snap7_multivars.mjs] [--node PATH]");
      std::exit(0);
    }
    if (i + 1 >= argc) fail(fmt::format("{} needs a value", name));
    const std::string value = argv[++i];
    auto number = [&](unsigned long maximum) {
      char* end = nullptr;
      const unsigned long parsed = std::strtoul(value.c_str(), &end, 10);
      if (end == value.c_str() || *end != '\0' || parsed > maximum) fail(fmt::format("{}: bad number {}", name, value));
      return parsed;
    };
    if (name == "--host") options.host = value;
    else if (name == "--port") options.port = static_cast<std::uint16_t>(number(65535));
    else if (name == "--cycles") options.cycles = static_cast<unsigned>(number(1000000));
    else if (name == "--tags") options.tags = static_cast<unsigned>(number(100000));
    else if (name == "--seed") options.seed = number(~0UL);
    else if (name == "--pdu-size") options.pdu_size = static_cast<std::uint16_t>(number(960));
    else if (name == "--max-gap") options.max_gap = static_cast<std::uint16_t>(number(65535));
    else if (name == "--snap7-script") options.snap7_script = value;
    else if (name == "--node") options.node = value;
    else fail(fmt::format("unknown option {}", name));
  }
  if (options.port == 0) fail("--port is required (the snap7 server's port; scripts/bench-s7 starts one)");
  if (options.cycles == 0) fail("--cycles must be at least 1");
  return options;
}

struct OurFigures {
  std::size_t negotiated_pdu = 0;
  ReadStats stats;
  std::size_t plan_pdus = 0;
  std::size_t plan_minimum = 0;
  std::size_t plan_items = 0;
  double seconds = 0;
  std::size_t bad = 0;
};

OurFigures measure_driver(const Options& options, const std::vector<BenchTag>& tags) {
  std::vector<s7::Address> addresses;
  for (const auto& tag : tags) {
    auto parsed = s7::parse_address(tag.address, tag.type);
    if (!parsed) fail(fmt::format("{}: {}", tag.address, parsed.error().message));
    addresses.push_back(*parsed);
  }
  PlcConfig plc;
  plc.name = "bench";
  plc.host = options.host;
  plc.timeout = std::chrono::milliseconds(5000);
  S7Connection connection;
  connection.port = options.port;
  connection.pdu_size = options.pdu_size;
  connection.max_gap = options.max_gap;
  plc.protocol = connection;
  auto driver = s7::make_s7_driver(plc, addresses, "");
  if (auto connected = driver->connect(); !connected) fail(connected.error().message);

  OurFigures figures;
  std::smatch match;
  const std::string description = driver->describe();
  static const std::regex kPdu(R"(PDU (\d+) bytes)");
  if (!std::regex_search(description, match, kPdu)) fail("no negotiated PDU size in \"" + description + "\"");
  figures.negotiated_pdu = std::stoul(match[1]);

  // The plan the driver makes (20 items per request, as snap7 and common CPUs accept).
  s7::PduLimits limits;
  limits.pdu_size = figures.negotiated_pdu;
  limits.max_items = 20;
  const s7::ReadPlan plan = s7::plan_reads(addresses, limits, options.max_gap);
  figures.plan_pdus = plan.pdus.size();
  figures.plan_minimum = plan.minimum_pdus;
  for (const auto& pdu : plan.pdus) figures.plan_items += pdu.items.size();

  std::vector<std::size_t> all(addresses.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  std::vector<Reading> readings(all.size());
  auto cycle = [&](ReadStats& stats) {
    auto read = driver->read(all, readings, stats);
    if (!read) fail(read.error().message);
    for (const auto& reading : readings)
      if (reading.quality != Quality::good) ++figures.bad;
  };
  cycle(figures.stats);  // warm-up, and the figures of one cycle
  figures.bad = 0;
  const auto started = std::chrono::steady_clock::now();
  for (unsigned n = 0; n < options.cycles; ++n) {
    ReadStats stats;
    cycle(stats);
  }
  figures.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  driver->disconnect();
  return figures;
}

struct Snap7Figures {
  bool measured = false;
  std::size_t calls_per_cycle = 0;
  double seconds = 0;
  double tags_per_second = 0;
  std::size_t failures = 0;
};

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Snap7Figures measure_snap7(const Options& options, const std::vector<BenchTag>& tags) {
  Snap7Figures figures;
  if (options.snap7_script.empty()) return figures;
  boost::json::array list;
  for (const auto& tag : tags)
    list.push_back(boost::json::object{{"db", tag.db}, {"start", tag.start}, {"bit", tag.bit},
                                       {"type", std::string(tag.type)}});
  char path[] = "/tmp/s7_read_bench_tags_XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) fail("cannot create a temporary file for the tag list");
  ::close(fd);
  std::ofstream(path) << boost::json::serialize(list);
  const std::string command = fmt::format("{} {} --port {} --tags {} --cycles {}", quoted(options.node),
                                          quoted(options.snap7_script), options.port, quoted(path), options.cycles);
  std::string output;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), buffer.size(), pipe)) output += buffer.data();
    const int status = ::pclose(pipe);
    std::remove(path);
    if (status != 0) fail("the snap7 baseline failed: " + command);
  } else {
    std::remove(path);
    fail("cannot run " + command);
  }
  boost::system::error_code error;
  const auto parsed = boost::json::parse(output, error);
  if (error || !parsed.is_object()) fail("the snap7 baseline printed no JSON: " + output);
  const auto& object = parsed.as_object();
  figures.measured = true;
  figures.calls_per_cycle = static_cast<std::size_t>(object.at("calls_per_cycle").to_number<double>());
  figures.seconds = object.at("seconds").to_number<double>();
  figures.tags_per_second = object.at("tags_per_second").to_number<double>();
  figures.failures = static_cast<std::size_t>(object.at("failures").to_number<double>());
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  const auto tags = scattered_tags(options.tags, options.seed);
  const OurFigures ours = measure_driver(options, tags);
  const Snap7Figures snap7 = measure_snap7(options, tags);
  const double our_rate = static_cast<double>(tags.size()) * options.cycles / ours.seconds;

  std::printf("S7 read benchmark: %zu scattered tags (seed %llu; DB1..DB20, BOOL/INT/DINT/REAL/WORD), snap7 server "
              "%s:%u,\nPDU %zu bytes negotiated (%u requested), max gap %u bytes, %u cycles\n\n",
              tags.size(), static_cast<unsigned long long>(options.seed), options.host.c_str(), options.port,
              ours.negotiated_pdu, options.pdu_size, options.max_gap, options.cycles);
  std::printf("%-44s %14s %12s %12s\n", "", "PDUs/cycle", "items/cycle", "tags/s");
  std::printf("%-44s %14u %12u %12.0f\n", "logbot S7 driver (read optimiser)", ours.stats.round_trips, ours.stats.items,
              our_rate);
  std::printf("%-44s %14zu %12s %12s\n", "minimum the PDU size allows", ours.plan_minimum, "", "");
  if (snap7.measured) {
    std::printf("%-44s %14zu %12zu %12.0f\n", "snap7 ReadMultiVars, 20 items per call", snap7.calls_per_cycle,
                tags.size(), snap7.tags_per_second);
    std::printf("%-44s %13.1fx %12s %11.1fx\n", "logbot's advantage (fewer PDUs, more tags/s)",
                static_cast<double>(snap7.calls_per_cycle) / ours.stats.round_trips, "",
                our_rate / snap7.tags_per_second);
  }
  std::printf("\nlogbot: %zu data bytes per cycle (gaps included), plan_reads: %zu PDUs, %zu items; %zu bad readings;\n"
              "        %.0f us per round trip\n",
              ours.stats.bytes, ours.plan_pdus, ours.plan_items, ours.bad,
              1e6 * ours.seconds / (static_cast<double>(options.cycles) * ours.stats.round_trips));
  if (snap7.measured)
    std::printf("snap7:  %.0f us per ReadMultiVars call\n",
                1e6 * snap7.seconds / (static_cast<double>(options.cycles) * snap7.calls_per_cycle));
  if (snap7.measured && snap7.failures) std::printf("snap7: %zu failed items\n", snap7.failures);
  // Cross-checks: the driver's figures are its plan's, and no plan beats the minimum.
  bool consistent = ours.stats.round_trips == ours.plan_pdus && ours.stats.minimum_round_trips == ours.plan_minimum &&
                    ours.plan_pdus >= ours.plan_minimum && ours.bad == 0;
  if (!consistent) {
    std::printf("INCONSISTENT: driver %u round trips (minimum %u) vs plan %zu PDUs (minimum %zu), %zu bad\n",
                ours.stats.round_trips, ours.stats.minimum_round_trips, ours.plan_pdus, ours.plan_minimum, ours.bad);
    return 2;
  }
  return 0;
}
