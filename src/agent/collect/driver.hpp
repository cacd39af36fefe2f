// One connection to one PLC, as the poll scheduler sees it. Implementations: the S7comm
// driver (agent/s7) and the Modbus TCP driver (agent/modbus). A driver is used from one
// thread at a time (its connection worker); its calls block for at most its timeout.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "agent/collect/collect_config.hpp"
#include "agent/collect/error.hpp"
#include "agent/collect/value.hpp"

namespace logbot::agent::collect {

// A driver's calls return collect::Result (agent/collect/error.hpp): the code says what went
// wrong (a connection-level failure: unreachable, timeout, refused_by_plc, bad_response...,
// or a refused write: refused_by_plc, value_unfit, not_writable), the message is one sentence
// a commissioning engineer can act on, naming the PLC. After a connection-level failure the
// driver is disconnected; the next connect() starts afresh. Tag-level failures (the PLC's
// return code for one item, a Modbus exception) are not errors but bad readings. Errors are
// values: no exception crosses the data path.

struct ReadStats {
  unsigned round_trips = 0;          // request/response exchanges of the cycle
  unsigned items = 0;                // protocol items (S7 Read Var items, Modbus read requests)
  std::size_t bytes = 0;             // payload bytes read, gaps included
  unsigned minimum_round_trips = 0;  // S7: the fewest PDUs the negotiated PDU size allows; 0: not known
};

class PlcDriver {
 public:
  virtual ~PlcDriver() = default;
  // Connects when not connected (TCP from the configured local address, protocol setup).
  virtual Result<void> connect() = 0;
  virtual void disconnect() noexcept = 0;
  virtual bool connected() const noexcept = 0;
  // Reads the tags given by their indexes into the driver's tag list (the order of the
  // vector the driver was made with). out.size() == tags.size(). Tag-level failures (the
  // PLC's return code, a Modbus exception) make that tag bad and the call succeeds;
  // connection-level ones return an error (out is then unspecified). Connects first when
  // not connected.
  virtual Result<void> read(std::span<const std::size_t> tags, std::span<Reading> out, ReadStats& stats) = 0;
  // Writes one tag (commissioning only; the collector never writes). Errors: connection
  // failures, a value the tag's type cannot hold, a refusal by the PLC (naming its return
  // code or Modbus exception).
  virtual Result<void> write(std::size_t tag, const Value& value) = 0;
  // "S7 10.0.0.10:102 rack 0 slot 1, OP connection, PDU 480 bytes, 1 parallel job"
  virtual std::string describe() const = 0;
};

// Makes the driver of PLC `plc` over `tags` (indexes into config.tags, all of that PLC; the
// driver's tag list is in this order). nullptr: no driver for this protocol in this build.
// The real drivers' factory is agent/drivers.hpp: collect does not know the protocols.
using DriverFactory = std::function<std::unique_ptr<PlcDriver>(const CollectConfig& config, std::size_t plc,
                                                               std::span<const std::size_t> tags)>;

}  // namespace logbot::agent::collect
