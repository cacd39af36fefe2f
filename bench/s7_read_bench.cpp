// S7 read benchmark: 1,000 scattered tags (a fixed seed) over DB1..DB20 against the snap7 server
// (tests/peers/s7_server.mjs --fill bench), measured in one run, every client at the same
// negotiated PDU size (the run fails otherwise):
//   1. the agent's S7 driver (read optimiser, the parallel jobs the server grants to its
//      request of 8): Read Var PDUs (round trips), items and bytes per poll cycle, tags/s,
//      against the lower bound for these tags (minimum_read_pdus);
//   2. the agent's S7 client with 1 parallel job (what an S7-300 grants) on three plans: the
//      optimiser's (so 1 against 2 is what pipelining gives), only touching tags merged
//      (max_gap 0), and one item per tag, 20 per PDU (snap7's way, so this against the
//      optimiser's plan is what merging gives in the same client);
//   3. the baselines, snap7's own client (bench/snap7_multivars.mjs, run from here, always one
//      request in flight): ReadMultiVars with one item per tag, ReadMultiVars with one item per
//      run of touching tags, and DBRead of each data block's used range in PDU-sized slices.
// scripts/bench-s7 starts the server and runs this; docs/PERFORMANCE.md has the figures.
#include <fmt/core.h>
#include <unistd.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/collect/collect_config.hpp"
#include "agent/collect/driver.hpp"
#include "agent/s7/s7_address.hpp"
#include "agent/s7/s7_client.hpp"
#include "agent/s7/s7_driver.hpp"
#include "agent/s7/s7_plan.hpp"
#include "common/clock.hpp"

namespace {

using logbot::agent::collect::PlcConfig;
using logbot::agent::collect::Quality;
using logbot::agent::collect::Reading;
using logbot::agent::collect::ReadStats;
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
  std::string snap7_script;                                                // empty: no baseline
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
    if (tag.type == "BOOL")
      tag.address = fmt::format("DB{}.DBX{}.{}", tag.db, tag.start, tag.bit);
    else if (tag.type == "INT" || tag.type == "WORD")
      tag.address = fmt::format("DB{}.DBW{}", tag.db, tag.start);
    else
      tag.address = fmt::format("DB{}.DBD{}", tag.db, tag.start);
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
      std::puts(
          "usage: s7_read_bench --port P [--host H] [--cycles N] [--tags N] [--seed S] [--pdu-size B]\n"
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
    if (name == "--host")
      options.host = value;
    else if (name == "--port")
      options.port = static_cast<std::uint16_t>(number(65535));
    else if (name == "--cycles")
      options.cycles = static_cast<unsigned>(number(1000000));
    else if (name == "--tags")
      options.tags = static_cast<unsigned>(number(100000));
    else if (name == "--seed")
      options.seed = number(~0UL);
    else if (name == "--pdu-size")
      options.pdu_size = static_cast<std::uint16_t>(number(960));
    else if (name == "--max-gap")
      options.max_gap = static_cast<std::uint16_t>(number(65535));
    else if (name == "--snap7-script")
      options.snap7_script = value;
    else if (name == "--node")
      options.node = value;
    else
      fail(fmt::format("unknown option {}", name));
  }
  if (options.port == 0) fail("--port is required (the snap7 server's port; scripts/bench-s7 starts one)");
  if (options.cycles == 0) fail("--cycles must be at least 1");
  return options;
}

// More items per request than this are cut off by some S7 CPUs and by the snap7 server: the
// driver's limit (s7_driver.cpp), and snap7's client's MaxVars.
constexpr std::size_t kMaxItems = 20;

// One way of reading the tags, with its figures per cycle and over all cycles.
struct Row {
  std::string name;
  std::size_t round_trips = 0;  // per cycle
  std::size_t items = 0;
  std::size_t bytes = 0;  // data bytes read per cycle, gaps included
  std::size_t pdu = 0;    // negotiated
  std::size_t jobs = 1;   // parallel jobs in use
  double seconds = 0;     // for all cycles
  std::size_t bad = 0;    // tags (driver) or items (clients) that failed, over all cycles
  double tags_per_second(std::size_t tags, unsigned cycles) const {
    return static_cast<double>(tags) * cycles / seconds;
  }
};

std::vector<s7::Address> parse_tags(const std::vector<BenchTag>& tags) {
  std::vector<s7::Address> addresses;
  for (const auto& tag : tags) {
    auto parsed = s7::parse_address(tag.address, tag.type);
    if (!parsed) fail(fmt::format("{}: {}", tag.address, parsed.error().message));
    addresses.push_back(*parsed);
  }
  return addresses;
}

struct DriverFigures {
  Row row;
  ReadStats stats;  // of one cycle
  std::size_t plan_pdus = 0, plan_minimum = 0, plan_items = 0;
};

DriverFigures measure_driver(const Options& options, const std::vector<s7::Address>& addresses) {
  PlcConfig plc;
  plc.name = "bench";
  plc.host = options.host;
  plc.timeout = std::chrono::milliseconds(5000);
  S7Connection connection;
  connection.port = options.port;
  connection.pdu_size = options.pdu_size;
  connection.max_gap = options.max_gap;
  plc.protocol = connection;
  static const logbot::SystemClock wall_clock;
  auto driver = s7::make_s7_driver(plc, addresses, "", wall_clock);
  if (auto connected = driver->connect(); !connected) fail(connected.error().message);

  DriverFigures figures;
  std::smatch match;
  const std::string description = driver->describe();
  static const std::regex kSession(R"(PDU (\d+) bytes, (\d+) parallel jobs?)");
  if (!std::regex_search(description, match, kSession)) fail("no negotiated session in \"" + description + "\"");
  figures.row.pdu = std::stoul(match[1]);
  figures.row.jobs = std::stoul(match[2]);
  figures.row.name = fmt::format("logbot driver: read optimiser, {} parallel job{}", figures.row.jobs,
                                 figures.row.jobs == 1 ? "" : "s");

  // The plan the driver makes (20 items per request, as snap7 and common CPUs accept).
  const s7::ReadPlan plan = s7::plan_reads(addresses, s7::PduLimits{figures.row.pdu, kMaxItems}, options.max_gap);
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
      if (reading.quality != Quality::good) ++figures.row.bad;
  };
  cycle(figures.stats);  // warm-up, and the figures of one cycle
  const auto started = std::chrono::steady_clock::now();
  for (unsigned n = 0; n < options.cycles; ++n) {
    ReadStats stats;
    cycle(stats);
  }
  figures.row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  figures.row.round_trips = figures.stats.round_trips;
  figures.row.items = figures.stats.items;
  figures.row.bytes = figures.stats.bytes;
  driver->disconnect();
  return figures;
}

// One item per tag, in list order, as many per PDU as the item limit and both PDU sizes
// allow: how snap7's ReadMultiVars takes variables (bench/snap7_multivars.mjs packs the same way).
s7::ReadPlan one_item_per_tag(const std::vector<s7::Address>& addresses, std::size_t pdu_size) {
  s7::ReadPlan plan;
  std::size_t response = 0;
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    const s7::Address& a = addresses[i];
    s7::PlannedItem item;
    item.area = a.area;
    item.db = a.db;
    item.start = a.offset;
    item.count = static_cast<std::uint16_t>(a.size());
    item.slices.push_back({i, 0, 0, a.size()});
    const std::size_t cost = s7::kReadResponseItem + item.count + (item.count & 1);
    const bool fits = !plan.pdus.empty() && plan.pdus.back().items.size() < kMaxItems &&
                      s7::kReadRequestHeader + s7::kReadRequestItem * (plan.pdus.back().items.size() + 1) <= pdu_size &&
                      response + cost <= pdu_size;
    if (!fits) {
      plan.pdus.emplace_back();
      response = s7::kReadResponseHeader;
    }
    response += cost;
    plan.bytes += item.count;
    plan.pdus.back().items.push_back(std::move(item));
  }
  return plan;
}

// Byte i of DBn in the snap7 server's bench fill (tests/peers/s7_server.mjs).
std::uint8_t bench_byte(unsigned db, std::size_t offset) {
  return static_cast<std::uint8_t>((db * 31 + offset * 7) % 256);
}

// The agent's S7 client reading `plan` (made for the negotiated PDU size) with 1 parallel job.
// Every item's bytes are checked against the server's fill in the warm-up cycle.
Row measure_client(const Options& options, std::string name,
                   const std::function<s7::ReadPlan(std::size_t pdu_size)>& make_plan) {
  boost::asio::io_context io{1};
  logbot::SystemClock clock;
  s7::S7Client client(io.get_executor(), clock);
  auto await = [&]<class T>(boost::asio::awaitable<s7::Result<T>> operation) {
    std::optional<s7::Result<T>> outcome;
    boost::asio::co_spawn(io, std::move(operation), [&](std::exception_ptr failure, s7::Result<T> result) {
      if (failure) std::rethrow_exception(failure);
      outcome = std::move(result);
    });
    io.restart();
    io.run();
    if (!outcome) fail("the S7 client did not finish");
    return std::move(*outcome);
  };
  s7::ConnectOptions connect;
  connect.host = options.host;
  connect.port = options.port;
  connect.tsaps = {s7::kLocalTsap, s7::remote_tsap(2, 0, 1)};  // OP, rack 0, slot 1: as the driver
  connect.pdu_size = options.pdu_size;
  connect.max_parallel_jobs = 1;  // an S7-300 grants 1: one request in flight
  connect.timeout = std::chrono::milliseconds(5000);
  auto session = await(client.connect(connect));
  if (!session) fail(session.error().message);

  Row row;
  row.name = std::move(name);
  row.pdu = session->pdu_size;
  row.jobs = session->parallel_jobs;
  const s7::ReadPlan plan = make_plan(row.pdu);
  row.round_trips = plan.pdus.size();
  for (const auto& pdu : plan.pdus) row.items += pdu.items.size();
  row.bytes = plan.bytes;
  auto cycle = [&](bool check) {
    auto answers = await(client.read(plan));
    if (!answers) fail(answers.error().message);
    for (std::size_t p = 0; p < plan.pdus.size(); ++p)
      for (std::size_t i = 0; i < plan.pdus[p].items.size(); ++i) {
        const s7::PlannedItem& item = plan.pdus[p].items[i];
        const s7::ItemResult& got = (*answers)[p].items[i];
        bool good = got.return_code == s7::kReturnCodeSuccess && got.data.size() == item.data_bytes();
        for (std::size_t b = 0; check && good && b < got.data.size(); ++b)
          good = got.data[b] == bench_byte(item.db, item.start + b);
        if (!good) ++row.bad;
      }
  };
  cycle(true);  // warm-up
  const auto started = std::chrono::steady_clock::now();
  for (unsigned n = 0; n < options.cycles; ++n) cycle(false);
  row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  client.close();
  return row;
}

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// One baseline of bench/snap7_multivars.mjs (`mode`: tags, runs or dbread) at the bench's
// requested PDU size.
Row measure_snap7(const Options& options, const std::string& tag_file, const std::string& mode, std::string name) {
  const std::string command =
      fmt::format("{} {} --port {} --tags {} --cycles {} --pdu-size {} --mode {}", quoted(options.node),
                  quoted(options.snap7_script), options.port, quoted(tag_file), options.cycles, options.pdu_size, mode);
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) fail("cannot run " + command);
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe)) output += buffer.data();
  if (::pclose(pipe) != 0) fail("the snap7 baseline failed: " + command);
  boost::system::error_code error;
  const auto parsed = boost::json::parse(output, error);
  if (error || !parsed.is_object()) fail("the snap7 baseline printed no JSON: " + output);
  const auto& object = parsed.as_object();
  auto number = [&](const char* key) { return object.at(key).to_number<double>(); };
  Row row;
  row.name = std::move(name);
  row.pdu = static_cast<std::size_t>(number("pdu"));
  row.round_trips = static_cast<std::size_t>(number("calls_per_cycle"));
  row.items = static_cast<std::size_t>(number("items_per_cycle"));
  row.bytes = static_cast<std::size_t>(number("bytes_per_cycle"));
  row.seconds = number("seconds");
  row.bad = static_cast<std::size_t>(number("failures"));
  return row;
}

std::string write_tag_file(const std::vector<BenchTag>& tags) {
  boost::json::array list;
  for (const auto& tag : tags)
    list.push_back(
        boost::json::object{{"db", tag.db}, {"start", tag.start}, {"bit", tag.bit}, {"type", std::string(tag.type)}});
  char path[] = "/tmp/s7_read_bench_tags_XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) fail("cannot create a temporary file for the tag list");
  ::close(fd);
  std::ofstream(path) << boost::json::serialize(list);
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  const auto tags = scattered_tags(options.tags, options.seed);
  const auto addresses = parse_tags(tags);

  const DriverFigures driver = measure_driver(options, addresses);
  const std::size_t pdu = driver.row.pdu;
  std::vector<Row> rows{driver.row};
  rows.push_back(measure_client(options, "logbot client: read optimiser, 1 parallel job", [&](std::size_t size) {
    return s7::plan_reads(addresses, s7::PduLimits{size, kMaxItems}, options.max_gap);
  }));
  rows.push_back(
      measure_client(options, "logbot client: touching tags merged (max_gap 0), 1 job", [&](std::size_t size) {
        return s7::plan_reads(addresses, s7::PduLimits{size, kMaxItems}, 0);
      }));
  rows.push_back(measure_client(options, "logbot client: one item per tag, 1 parallel job",
                                [&](std::size_t size) { return one_item_per_tag(addresses, size); }));
  const std::size_t first_snap7 = rows.size();
  if (!options.snap7_script.empty()) {
    const std::string tag_file = write_tag_file(tags);
    rows.push_back(measure_snap7(options, tag_file, "tags", "snap7 ReadMultiVars: one item per tag"));
    rows.push_back(measure_snap7(options, tag_file, "runs", "snap7 ReadMultiVars: touching tags merged"));
    rows.push_back(measure_snap7(options, tag_file, "dbread", "snap7 DBRead: each DB's used range"));
    std::remove(tag_file.c_str());
  }

  std::printf(
      "S7 read benchmark: %zu scattered tags (seed %llu; DB1..DB20, BOOL/INT/DINT/REAL/WORD), snap7 server "
      "%s:%u,\nPDU %zu bytes negotiated by every client below (%u requested), 20 items per request at most, "
      "max gap %u bytes, %u cycles\n\n",
      tags.size(), static_cast<unsigned long long>(options.seed), options.host.c_str(), options.port, pdu,
      options.pdu_size, options.max_gap, options.cycles);
  std::printf("lower bound for these tags at this PDU size (items and bytes counted): %zu round trips per cycle\n\n",
              driver.plan_minimum);
  std::printf("%-56s %11s %7s %7s %6s %9s %8s\n", "", "round trips", "items", "bytes", "jobs", "tags/s", "us/trip");
  for (const Row& row : rows)
    std::printf("%-56s %11zu %7zu %7zu %6zu %9.0f %8.0f\n", row.name.c_str(), row.round_trips, row.items, row.bytes,
                row.jobs, row.tags_per_second(tags.size(), options.cycles),
                1e6 * row.seconds / (static_cast<double>(options.cycles) * static_cast<double>(row.round_trips)));
  std::printf("(per cycle; bytes: data read, gaps included; us/trip: time per cycle / round trips)\n\n");

  const auto rate = [&](std::size_t row) { return rows[row].tags_per_second(tags.size(), options.cycles); };
  std::printf(
      "tags/s, logbot client: pipelining (%zu jobs vs 1, same plan) x%.2f; merging (optimiser vs one item "
      "per tag, 1 job) x%.2f\n",
      rows[0].jobs, rate(0) / rate(1), rate(1) / rate(3));
  if (rows.size() > first_snap7)
    std::printf(
        "round trips: snap7 ReadMultiVars per tag / logbot optimiser = %.1fx; snap7 DBRead / logbot "
        "optimiser = %.1fx\n",
        static_cast<double>(rows[first_snap7].round_trips) / static_cast<double>(rows[0].round_trips),
        static_cast<double>(rows[first_snap7 + 2].round_trips) / static_cast<double>(rows[0].round_trips));

  // Cross-checks: the driver's figures are its plan's, no plan beats the bound, every client
  // ran at the same PDU size, the same strategy gives the same round trips in both clients, and
  // nothing failed.
  std::vector<std::string> problems;
  if (driver.stats.round_trips != driver.plan_pdus || driver.stats.minimum_round_trips != driver.plan_minimum ||
      driver.stats.items != driver.plan_items)
    problems.push_back(fmt::format("driver {} round trips (minimum {}) vs plan {} PDUs (minimum {})",
                                   driver.stats.round_trips, driver.stats.minimum_round_trips, driver.plan_pdus,
                                   driver.plan_minimum));
  for (const Row& row : rows) {
    if (row.round_trips < driver.plan_minimum)
      problems.push_back(fmt::format("{}: {} round trips, below the bound", row.name, row.round_trips));
    if (row.pdu != pdu) problems.push_back(fmt::format("{}: PDU {} negotiated, not {}", row.name, row.pdu, pdu));
    if (row.bad != 0) problems.push_back(fmt::format("{}: {} failed readings", row.name, row.bad));
  }
  if (rows.size() > first_snap7 && rows[first_snap7].round_trips != rows[3].round_trips)
    problems.push_back("one item per tag: snap7 and the logbot client need different round trips");
  for (const std::string& problem : problems) std::printf("INCONSISTENT: %s\n", problem.c_str());
  return problems.empty() ? 0 : 2;
}
