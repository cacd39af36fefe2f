// Modbus values and read plans, without I/O: registers to collect::Value in each byte order
// and back, the commissioning CLI's value text, the names of Modbus exception codes, and the
// read plan that coalesces a poll's tags into as few requests as the Modbus limits allow.
// Scale and offset are not applied here: the poll scheduler does that for every protocol.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/collect/error.hpp"
#include "agent/collect/value.hpp"
#include "agent/modbus/error.hpp"
#include "agent/modbus/modbus_address.hpp"

namespace logbot::agent::modbus {

// The protocol's limits per read request (Modbus Application Protocol V1.1b3, 6.1-6.4).
constexpr std::size_t kMaxReadRegisters = 125;
constexpr std::size_t kMaxReadBits = 2000;
constexpr std::size_t kMaxWriteRegisters = 123;

// The value of a register-table tag. registers.size() == address.count(); for a register bit
// one register, whose bit `address.bit` is the value. BOOL decodes to bool, INT16/INT32 to
// int64, UINT16/UINT32 to uint64, FLOAT32/FLOAT64 to double (NaN and infinities as they come).
// Errors are ErrorCode::wrong_shape.
Result<collect::Value> decode_registers(const Address& address, std::span<const std::uint16_t> registers);

// The registers to write for a register tag (address.count() registers). Integer types take
// bool, int64, uint64 or an integral double within the type's range; float types any finite
// number. A register bit (and a coil) gives one element, 0 or 1, from a bool or 0/1 integer.
// Errors: wrong_kind, out_of_range, not_finite.
Result<std::vector<std::uint16_t>> encode_value(const Address& address, const collect::Value& value);

// The commissioning CLI's text for a value of the tag's type, as IEC 61131-3 literals
// (collect/iec_literal.hpp, the same as S7's): TRUE/FALSE/1/0 (any case) for BOOL; integers
// within range for the integer types, decimal or based (16#FF, 8#17, 2#1010_0101); decimal or
// exponent notation for the float types (FLOAT32 within its range). Surrounding blanks are
// ignored. Errors are collect::ErrorCode with the sentence the commissioning CLI prints.
collect::Result<collect::Value> parse_value_text(const Address& address, std::string_view text);

// "Modbus exception 2 (illegal data address)".
std::string describe_exception(unsigned code);

// ---- read plan ----

struct PlanLimits {
  std::size_t max_registers = kMaxReadRegisters;  // per request for register tables, 1..125
  std::size_t max_bits = kMaxReadBits;            // per request for coils and discrete inputs, 1..2000
  // Elements (registers, or bits for coils/di) a request may read across between two tags to
  // save a request. 0: only adjacent or overlapping tags share a request.
  std::size_t max_gap = 0;
};

// An address no request reads across: a request holding tags before it ends before it (what a
// device taught by refusing such a request; agent/modbus/modbus_refusals.hpp).
using Cut = std::pair<Table, std::uint16_t>;

struct ReadRequest {
  Table table = Table::holding_registers;
  std::uint16_t start = 0;        // first protocol address
  std::uint16_t count = 0;        // registers or bits
  std::vector<std::size_t> tags;  // indexes into the span given to plan_reads, in address order
};

struct TagPlacement {
  std::size_t request = 0;  // index into ReadPlan::requests
  std::size_t offset = 0;   // first register (or bit) of the tag within the request
};

struct ReadPlan {
  std::vector<ReadRequest> requests;     // one round trip each; by table, then address
  std::vector<TagPlacement> placements;  // one per tag, in the order of the span
  std::size_t bytes = 0;                 // payload bytes the requests return, gaps included
};

// Coalesces tags of the same table into requests: a tag joins the current request when the
// gap to it is at most max_gap and the request then stays within the limit; otherwise it opens
// the next request. A tag wider than max_registers (a FLOAT64 with max_registers below 4) gets
// a request of its own width, so it is always read in one piece. A request never reads across
// one of `cuts` (unless a tag itself spans it). Deterministic: the same tags
// give the same requests whatever their order. Limits are clamped to 1..the protocol limit.
ReadPlan plan_reads(std::span<const Address> tags, const PlanLimits& limits, std::span<const Cut> cuts = {});

}  // namespace logbot::agent::modbus
