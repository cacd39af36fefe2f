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
#include "common/clock.hpp"

namespace logbot::agent::collect {

struct ReadOptions {
  std::vector<std::string> tags;  // --tag: empty reads every tag
  std::vector<std::string> plcs;  // --plc: empty reads every PLC
  bool json = false;              // --json: one JSON object per line
};

// Exit status: 0 every tag good; 2 some tag bad; 1 a selection error (named on `err`) or a
// PLC unreachable (its tags are printed as bad with the connection error as status).
// `clock` stamps the readings a driver did not stamp and the bad ones of an unreachable PLC.
int read_tags(const CollectConfig& config, const ReadOptions& options, const DriverFactory& factory, const Clock& clock,
              std::ostream& out, std::ostream& err);

struct WriteOptions {
  std::string tag;
  std::string value;         // text in the tag's engineering units (after scale/offset)
  bool allow_write = false;  // --allow-write: the explicit confirmation
  // The write record: every write that reaches a PLC (connected or not, refused or done)
  // appends one JSON line here (time, user, tag, PLC, address, value, outcome). The file is
  // opened (0600, append, no symbolic links) before the PLC is contacted; when it cannot be,
  // nothing is written to the PLC. Empty: no record (unit tests only).
  std::string record_file;
};

// Exit status: 0 written (and read back); 1 refused, not connected, the value does not fit,
// or the write could not be recorded.
// `clock` gives the write record its time.
int write_tag(const CollectConfig& config, const WriteOptions& options, const DriverFactory& factory,
              const Clock& clock, std::ostream& out, std::ostream& err);

}  // namespace logbot::agent::collect
