// Modbus register codec and read planning (see modbus_codec.hpp). Pure functions, no I/O.
#include "agent/modbus/modbus_codec.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

#include "agent/collect/iec_literal.hpp"

namespace logbot::agent::modbus {
namespace {

bool swaps_words(ByteOrder order) noexcept {
  return order == ByteOrder::CDAB || order == ByteOrder::DCBA;
}
bool swaps_bytes(ByteOrder order) noexcept {
  return order == ByteOrder::BADC || order == ByteOrder::DCBA;
}

std::uint16_t swap_bytes(std::uint16_t word) noexcept {
  return static_cast<std::uint16_t>((word << 8) | (word >> 8));
}

// The registers as one big-endian number (A the most significant byte), undoing the order's
// register swap and byte swap. registers.size() is 1..4.
std::uint64_t to_raw(std::span<const std::uint16_t> registers, ByteOrder order) noexcept {
  const std::size_t n = registers.size();
  std::uint64_t raw = 0;
  for (std::size_t w = 0; w < n; ++w) {  // w: canonical word, most significant first
    const std::size_t on_wire = swaps_words(order) ? n - 1 - w : w;
    std::uint16_t word = registers[on_wire];
    if (swaps_bytes(order)) word = swap_bytes(word);
    raw = (raw << 16) | word;
  }
  return raw;
}

std::vector<std::uint16_t> from_raw(std::uint64_t raw, std::size_t n, ByteOrder order) {
  std::vector<std::uint16_t> registers(n);
  for (std::size_t w = 0; w < n; ++w) {
    std::uint16_t word = static_cast<std::uint16_t>(raw >> (16 * (n - 1 - w)));
    if (swaps_bytes(order)) word = swap_bytes(word);
    registers[swaps_words(order) ? n - 1 - w : w] = word;
  }
  return registers;
}

std::string type_text(const Address& address) {
  return std::string(type_name(address.type));
}

struct IntegerRange {
  std::int64_t min;
  std::int64_t max;
};

std::optional<IntegerRange> integer_range(DataType type) {
  switch (type) {
    case DataType::Int16:
      return IntegerRange{std::numeric_limits<std::int16_t>::min(), std::numeric_limits<std::int16_t>::max()};
    case DataType::UInt16: return IntegerRange{0, std::numeric_limits<std::uint16_t>::max()};
    case DataType::Int32:
      return IntegerRange{std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()};
    case DataType::UInt32: return IntegerRange{0, std::numeric_limits<std::uint32_t>::max()};
    default: return std::nullopt;
  }
}

std::string range_error(const Address& address, const IntegerRange& range, const std::string& value_text) {
  return value_text + " does not fit " + type_text(address) + " (" + std::to_string(range.min) + ".." +
         std::to_string(range.max) + ")";
}

// The value as an integer when it is one (bool, int64, uint64, an integral finite double);
// nullopt beyond the int64 range or when not a whole number (`inexact` then tells which).
std::optional<std::int64_t> as_integer(const collect::Value& value, bool& inexact) {
  inexact = false;
  if (const auto* b = std::get_if<bool>(&value)) return *b ? 1 : 0;
  if (const auto* i = std::get_if<std::int64_t>(&value)) return *i;
  if (const auto* u = std::get_if<std::uint64_t>(&value)) {
    if (*u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(*u);
  }
  if (const auto* d = std::get_if<double>(&value)) {
    if (!std::isfinite(*d) || std::trunc(*d) != *d) {
      inexact = true;
      return std::nullopt;
    }
    // Doubles beyond ±2^62 are out of every Modbus integer range anyway.
    if (std::fabs(*d) > 4.6e18) return std::nullopt;
    return static_cast<std::int64_t>(*d);
  }
  return std::nullopt;
}

// For error messages only (the table's formatting lives in collect/value).
std::string describe_value(const collect::Value& value) {
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "TRUE" : "FALSE";
  if (const auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (const auto* u = std::get_if<std::uint64_t>(&value)) return std::to_string(*u);
  if (const auto* d = std::get_if<double>(&value)) {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, *d);
    return std::string(buffer, result.ptr);
  }
  if (const auto* s = std::get_if<std::string>(&value)) return "the text \"" + *s + "\"";
  return "an empty value";
}

std::string_view trim(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

Result<collect::Value> decode_registers(const Address& address, std::span<const std::uint16_t> registers) {
  if (is_bit_table(address.table)) {
    return fail(ErrorCode::wrong_shape, std::string("coils and discrete inputs are bits, not registers"));
  }
  if (registers.size() != address.count()) {
    return fail(ErrorCode::wrong_shape, std::string(type_name(address.type)) + " needs " +
                                            std::to_string(address.count()) + " registers, got " +
                                            std::to_string(registers.size()));
  }
  if (address.type == DataType::Bool) {
    if (address.bit < 0 || address.bit > 15)
      return fail(ErrorCode::wrong_shape, std::string("a BOOL in a register needs a bit number 0..15"));
    return collect::Value{((registers[0] >> address.bit) & 1U) != 0};
  }
  const std::uint64_t raw = to_raw(registers, address.order);
  switch (address.type) {
    case DataType::Int16:
      return collect::Value{static_cast<std::int64_t>(static_cast<std::int16_t>(static_cast<std::uint16_t>(raw)))};
    case DataType::UInt16: return collect::Value{static_cast<std::uint64_t>(raw)};
    case DataType::Int32:
      return collect::Value{static_cast<std::int64_t>(static_cast<std::int32_t>(static_cast<std::uint32_t>(raw)))};
    case DataType::UInt32: return collect::Value{static_cast<std::uint64_t>(raw)};
    case DataType::Float32:
      return collect::Value{collect::widen_real(std::bit_cast<float>(static_cast<std::uint32_t>(raw)))};
    case DataType::Float64: return collect::Value{std::bit_cast<double>(raw)};
    case DataType::Bool: break;
  }
  return fail(ErrorCode::wrong_shape, std::string("unknown Modbus type"));
}

Result<std::vector<std::uint16_t>> encode_value(const Address& address, const collect::Value& value) {
  if (std::holds_alternative<std::monostate>(value) || std::holds_alternative<std::string>(value)) {
    return fail(
        ErrorCode::wrong_kind,
        "a " + type_text(address) + " takes a number" + (address.type == DataType::Bool ? " or TRUE/FALSE" : "") +
            ", not " +
            (std::holds_alternative<std::monostate>(value) ? std::string("an empty value") : describe_value(value)));
  }

  if (address.type == DataType::Bool) {
    bool inexact = false;
    const auto integer = as_integer(value, inexact);
    if (!integer || (*integer != 0 && *integer != 1)) {
      return fail(ErrorCode::wrong_kind, "a BOOL takes TRUE/FALSE or 1/0, not " + describe_value(value));
    }
    return std::vector<std::uint16_t>{static_cast<std::uint16_t>(*integer)};
  }

  if (const auto range = integer_range(address.type)) {
    bool inexact = false;
    const auto integer = as_integer(value, inexact);
    if (inexact)
      return fail(ErrorCode::wrong_kind,
                  "a " + type_text(address) + " takes a whole number, not " + describe_value(value));
    if (!integer || *integer < range->min || *integer > range->max) {
      return fail(ErrorCode::out_of_range, range_error(address, *range, describe_value(value)));
    }
    // Two's complement of the value in the type's width.
    const auto raw = static_cast<std::uint64_t>(*integer) & (address.count() == 1 ? 0xFFFFULL : 0xFFFFFFFFULL);
    return from_raw(raw, address.count(), address.order);
  }

  double number = 0;
  if (const auto* b = std::get_if<bool>(&value)) number = *b ? 1 : 0;
  if (const auto* i = std::get_if<std::int64_t>(&value)) number = static_cast<double>(*i);
  if (const auto* u = std::get_if<std::uint64_t>(&value)) number = static_cast<double>(*u);
  if (const auto* d = std::get_if<double>(&value)) number = *d;
  if (!std::isfinite(number))
    return fail(ErrorCode::not_finite, "a " + type_text(address) + " written to a device must be a finite number");
  if (address.type == DataType::Float32) {
    if (!collect::fits_real32(number)) {
      return fail(ErrorCode::out_of_range, describe_value(value) + " is beyond the FLOAT32 range (±3.4e38)");
    }
    return from_raw(std::bit_cast<std::uint32_t>(static_cast<float>(number)), 2, address.order);
  }
  return from_raw(std::bit_cast<std::uint64_t>(number), 4, address.order);
}

collect::Result<collect::Value> parse_value_text(const Address& address, std::string_view text) {
  using ErrorCode = collect::ErrorCode;
  const std::string_view trimmed = trim(text);
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (trimmed.empty()) return fail(ErrorCode::empty, "the value is empty: give a " + type_text(address));

  if (address.type == DataType::Bool) {
    auto value = collect::parse_bool_literal(trimmed);
    if (!value) return fail(value.error().code, quoted + " is not a BOOL: write TRUE, FALSE, 1 or 0");
    return collect::Value{*value};
  }

  if (const auto range = integer_range(address.type)) {
    auto integer = collect::parse_integer_value(trimmed, {range->min, static_cast<std::uint64_t>(range->max)});
    if (!integer && integer.error().code == ErrorCode::out_of_range)
      return fail(ErrorCode::out_of_range, range_error(address, *range, quoted));
    if (!integer) {
      return fail(integer.error().code, quoted + " is not a whole number; a " + type_text(address) +
                                            " takes an integer " + std::to_string(range->min) + ".." +
                                            std::to_string(range->max) + " (decimal, or 16#, 8#, 2#)");
    }
    return *integer;
  }

  auto number = collect::parse_real_literal(trimmed);
  if (!number) {
    switch (number.error().code) {
      case ErrorCode::out_of_range:
        return fail(ErrorCode::out_of_range, quoted + " is beyond the range of a " + type_text(address));
      case ErrorCode::not_finite:
        return fail(ErrorCode::not_finite,
                    quoted + ": a " + type_text(address) + " written to a device must be finite");
      default:
        return fail(number.error().code, quoted + " is not a number; a " + type_text(address) +
                                             " takes a decimal number such as 21.5 or 1e-3");
    }
  }
  if (address.type == DataType::Float32 && !collect::fits_real32(*number)) {
    return fail(ErrorCode::out_of_range, quoted + " is beyond the FLOAT32 range (±3.4e38)");
  }
  return collect::Value{*number};
}

std::string describe_exception(unsigned code) {
  std::string_view meaning;
  switch (code) {
    case 1: meaning = "illegal function"; break;
    case 2: meaning = "illegal data address"; break;
    case 3: meaning = "illegal data value"; break;
    case 4: meaning = "slave device failure"; break;
    case 5: meaning = "acknowledge"; break;
    case 6: meaning = "slave device busy"; break;
    case 7: meaning = "negative acknowledge"; break;
    case 8: meaning = "memory parity error"; break;
    case 10: meaning = "gateway path unavailable"; break;
    case 11: meaning = "gateway target device failed to respond"; break;
    default: meaning = "unknown exception code"; break;
  }
  return "Modbus exception " + std::to_string(code) + " (" + std::string(meaning) + ")";
}

namespace {

// Whether a request starting at `from` would read across a cut by taking a tag that starts at `to`.
bool crosses_cut(std::span<const Cut> cuts, Table table, std::size_t from, std::size_t to) {
  return std::any_of(cuts.begin(), cuts.end(),
                     [&](const auto& cut) { return cut.first == table && from < cut.second && cut.second <= to; });
}

}  // namespace

ReadPlan plan_reads(std::span<const Address> tags, const PlanLimits& limits, std::span<const Cut> cuts) {
  ReadPlan plan;
  plan.placements.resize(tags.size());

  std::vector<std::size_t> order(tags.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // By table, then start, then the wider tag first (so it opens the request), then index.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const Address& x = tags[a];
    const Address& y = tags[b];
    if (x.table != y.table) return x.table < y.table;
    if (x.offset != y.offset) return x.offset < y.offset;
    if (x.count() != y.count()) return x.count() > y.count();
    return a < b;
  });

  const std::size_t max_registers = std::clamp<std::size_t>(limits.max_registers, 1, kMaxReadRegisters);
  const std::size_t max_bits = std::clamp<std::size_t>(limits.max_bits, 1, kMaxReadBits);

  std::size_t request_end = 0;  // one past the last element of the current request
  for (const std::size_t index : order) {
    const Address& tag = tags[index];
    const std::size_t start = tag.offset;
    const std::size_t end = start + tag.count();
    const std::size_t limit = is_bit_table(tag.table) ? max_bits : max_registers;

    bool joins = false;
    if (!plan.requests.empty()) {
      const ReadRequest& current = plan.requests.back();
      const std::size_t merged_end = std::max(request_end, end);
      const bool contained = current.table == tag.table && start >= current.start && end <= request_end;
      joins =
          contained || (current.table == tag.table && (start <= request_end || start - request_end <= limits.max_gap) &&
                        merged_end - current.start <= limit && !crosses_cut(cuts, tag.table, current.start, start));
    }
    if (!joins) {
      ReadRequest request;
      request.table = tag.table;
      request.start = tag.offset;
      plan.requests.push_back(std::move(request));
      request_end = start;
    }
    ReadRequest& current = plan.requests.back();
    request_end = std::max(request_end, end);
    current.count = static_cast<std::uint16_t>(request_end - current.start);
    current.tags.push_back(index);
    plan.placements[index] = TagPlacement{plan.requests.size() - 1, start - current.start};
  }

  for (const ReadRequest& request : plan.requests) {
    plan.bytes += is_bit_table(request.table) ? (request.count + 7U) / 8U : 2U * request.count;
  }
  return plan;
}

}  // namespace logbot::agent::modbus
