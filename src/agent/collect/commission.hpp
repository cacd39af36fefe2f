// `logbot-agent read` and `logbot-agent write`: the commissioning commands. `read` performs
// one poll cycle over the selected tags with the same drivers (and read plans) as the poll
// scheduler and prints a table or JSON lines; `write` changes one tag and reads it back.
// Output streams are passed in so tests can drive the commands in-process.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include "agent/collect/collect_config.hpp"
#include "agent/collect/scheduler.hpp"

namespace logbot::agent::collect {

struct ReadOptions {
  std::vector<std::string> tags;  // --tag: empty reads every tag
  std::vector<std::string> plcs;  // --plc: empty reads every PLC
  bool json = false;              // --json: one JSON object per line
};

// Exit status: 0 every tag good; 2 some tag bad; 1 a selection error (named on `err`) or a
// PLC unreachable (its tags are printed as bad with the connection error as status).
int read_tags(const CollectConfig& config, const ReadOptions& options, const DriverFactory& factory,
              std::ostream& out, std::ostream& err);

struct WriteOptions {
  std::string tag;
  std::string value;         // text in the tag's engineering units (after scale/offset)
  bool allow_write = false;  // --allow-write: the explicit confirmation
};

// Exit status: 0 written (and read back); 1 refused, not connected, or the value does not fit.
int write_tag(const CollectConfig& config, const WriteOptions& options, const DriverFactory& factory,
              std::ostream& out, std::ostream& err);

}  // namespace logbot::agent::collect
