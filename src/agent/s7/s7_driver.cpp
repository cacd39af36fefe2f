// The S7comm driver: the poll scheduler's view of one S7 PLC. It owns an io_context and an
// S7Client and runs each client coroutine to completion on the caller's thread (the
// scheduler gives each PLC its own thread). Read plans are made once per tag set and
// remade after each connect, since the negotiated PDU size may have changed; a plan also
// learns from the items the PLC refuses (agent/s7/s7_refusals.hpp).
#include "agent/s7/s7_driver.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <map>
#include <optional>

#include "agent/s7/s7_client.hpp"
#include "agent/s7/s7_plan.hpp"
#include "agent/s7/s7_refusals.hpp"
#include "agent/s7/s7_value.hpp"
#include "common/clock.hpp"

namespace logbot::agent::s7 {

namespace asio = boost::asio;

namespace {

// More items per request than this are cut off by some S7 CPUs and by the snap7 server
// (which answers only the first 20): the plan never asks for more.
constexpr std::size_t kMaxItemsPerRequest = 20;
// What we ask for; S7-300 CPUs grant 1, S7-1500 a few.
constexpr std::uint16_t kRequestedParallelJobs = 8;

std::string_view connection_type_name(collect::S7ConnectionType type) noexcept {
  switch (type) {
    case collect::S7ConnectionType::pg: return "PG";
    case collect::S7ConnectionType::op: return "OP";
    case collect::S7ConnectionType::s7_basic: return "S7-basic";
  }
  return "OP";
}

std::string hex_tsap(std::uint16_t tsap) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string text = "0x";
  for (int shift = 12; shift >= 0; shift -= 4) text += kDigits[(tsap >> shift) & 0xF];
  return text;
}

class S7Driver final : public collect::PlcDriver {
 public:
  S7Driver(const collect::PlcConfig& plc, std::vector<Address> tags, std::string bind_address, const Clock& clock)
      : plc_(plc),
        connection_(std::get<collect::S7Connection>(plc.protocol)),
        tags_(std::move(tags)),
        bind_address_(std::move(bind_address)),
        clock_(clock),
        client_(io_.get_executor(), clock_) {}

  ~S7Driver() override { disconnect(); }

  collect::Result<void> connect() override {
    if (client_.is_open()) return {};
    ConnectOptions options;
    options.host = plc_.host;
    options.port = connection_.port;
    options.bind_address = bind_address_;
    options.tsaps = tsaps();
    options.pdu_size = connection_.pdu_size;
    options.max_parallel_jobs = kRequestedParallelJobs;
    options.timeout = plc_.timeout;
    auto session = run(client_.connect(std::move(options)));
    if (!session) return failure(session.error());
    session_ = *session;
    plans_.clear();
    return {};
  }

  void disconnect() noexcept override { client_.close(); }

  bool connected() const noexcept override { return client_.is_open(); }

  collect::Result<void> read(std::span<const std::size_t> tags, std::span<collect::Reading> out,
                             collect::ReadStats& stats) override {
    if (out.size() != tags.size())
      return failure(collect::ErrorCode::internal, "internal error: a read got " + std::to_string(out.size()) +
                                                       " result slots for " + std::to_string(tags.size()) + " tags");
    for (const std::size_t tag : tags)
      if (tag >= tags_.size())
        return failure(collect::ErrorCode::internal,
                       "internal error: tag index " + std::to_string(tag) + " out of range");
    if (auto connected = connect(); !connected) return connected;
    GroupPlan& group = plan_for(tags);
    auto answers = run(client_.read(group.plan));
    if (!answers) return failure(answers.error());
    // A refused item holding several tags is read again one span per item, in this cycle, so
    // that only the bad tags end bad (agent/s7/s7_refusals.hpp).
    const ItemCodes codes = codes_of(*answers);
    const ReadPlan retry = plan_retry(group.addresses, group.plan, codes, limits());
    std::vector<PduResult> retried;
    if (!retry.pdus.empty()) {
      auto again = run(client_.read(retry));
      if (!again) return failure(again.error());
      retried = std::move(*again);
    }
    assemble(group, *answers, retry, retried, tags, out);
    stats.round_trips = static_cast<unsigned>(group.plan.pdus.size() + retry.pdus.size());
    stats.items = 0;
    for (const ReadPlan* plan : {static_cast<const ReadPlan*>(&group.plan), &retry})
      for (const PlannedPdu& pdu : plan->pdus) stats.items += static_cast<unsigned>(pdu.items.size());
    stats.bytes = group.plan.bytes + retry.bytes;
    stats.minimum_round_trips = static_cast<unsigned>(group.plan.minimum_pdus);
    if (learn(group.lessons, group.addresses, group.plan, codes, retry, codes_of(retried))) {
      if (!group.learned_at) group.learned_at = std::chrono::steady_clock::now();
      group.plan = plan_with_lessons(group.addresses, group.lessons, limits(), connection_.max_gap);
    }
    return {};
  }

  collect::Result<void> write(std::size_t tag, const collect::Value& value) override {
    if (tag >= tags_.size())
      return failure(collect::ErrorCode::internal,
                     "internal error: tag index " + std::to_string(tag) + " out of range");
    const Address& address = tags_[tag];
    auto bytes = encode_value(address, value);
    if (!bytes) return failure(bytes.error(), "cannot write " + to_string(address) + ": ");
    if (auto connected = connect(); !connected) return connected;
    if (address.type == DataType::String || address.type == DataType::WString) {
      if (auto declared = check_string_declaration(address); !declared) return declared;
    }
    auto return_code = run(client_.write(address, *bytes));
    if (!return_code) return failure(return_code.error(), "cannot write " + to_string(address) + ": ");
    if (*return_code != kReturnCodeSuccess)
      return failure(collect::ErrorCode::refused_by_plc, "the PLC refused the write of " + to_string(address) + ": " +
                                                             describe_refusal(*return_code, address));
    return {};
  }

  std::string describe() const override {
    std::string text = "S7 " + plc_.host + ":" + std::to_string(connection_.port);
    // Explicit TSAPs replace rack, slot and connection type (the remote TSAP's high byte is the
    // type the PLC sees): naming a type here would name the unused `connection_type` setting.
    if (connection_.local_tsap && connection_.remote_tsap)
      text += " local TSAP " + hex_tsap(*connection_.local_tsap) + " remote TSAP " + hex_tsap(*connection_.remote_tsap);
    else
      text += " rack " + std::to_string(connection_.rack) + " slot " + std::to_string(connection_.slot) + ", " +
              std::string(connection_type_name(connection_.connection_type)) + " connection";
    if (session_) {
      text += ", PDU " + std::to_string(session_->pdu_size) + " bytes, " + std::to_string(session_->parallel_jobs) +
              (session_->parallel_jobs == 1 ? " parallel job" : " parallel jobs");
    } else {
      text += ", PDU " + std::to_string(connection_.pdu_size) + " bytes requested";
    }
    return text;
  }

 private:
  Tsaps tsaps() const noexcept {
    if (connection_.local_tsap && connection_.remote_tsap) return {*connection_.local_tsap, *connection_.remote_tsap};
    return {kLocalTsap,
            remote_tsap(static_cast<std::uint8_t>(connection_.connection_type), connection_.rack, connection_.slot)};
  }

  // A STRING is written whole: its maximum-length byte, its current length and all n
  // characters. When the PLC declares the string shorter than the tag's STRING[n] (a tag typed
  // just "STRING" means STRING[254]), that write would overwrite the variables after the
  // string and give the string a maximum the PLC program does not expect. So the PLC's own
  // maximum-length byte is read first and must match. Zero is no declaration (raw memory, as
  // in a freshly created simulator data block) and is accepted. A WSTRING's maximum is its
  // first word.
  collect::Result<void> check_string_declaration(const Address& address) {
    const bool wide = address.type == DataType::WString;
    const std::string type = wide ? "WSTRING" : "STRING";
    PlannedItem header;
    header.area = address.area;
    header.db = address.area == Area::data_block ? address.db : std::uint16_t{0};
    header.start = address.offset;
    header.count = wide ? 2 : 1;
    ReadPlan plan;
    plan.pdus.push_back(PlannedPdu{{header}});
    auto answer = run(client_.read(plan));
    if (!answer) return failure(answer.error(), "cannot write " + to_string(address) + ": ");
    const ItemResult& got = answer->front().items.front();
    if (got.return_code != kReturnCodeSuccess || got.data.size() != header.count)
      return failure(collect::ErrorCode::refused_by_plc,
                     "cannot write " + to_string(address) +
                         ": reading the string's maximum length failed: " + describe_return_code(got.return_code));
    const unsigned declared = wide ? (unsigned{got.data[0]} << 8) | got.data[1] : unsigned{got.data[0]};
    if (declared != 0 && declared != address.string_length)
      return failure(collect::ErrorCode::not_writable,
                     "cannot write " + to_string(address) + ": the PLC declares this string as " + type + "[" +
                         std::to_string(declared) + "]; set the tag's type to " + type + "[" +
                         std::to_string(declared) + "] (writing " + std::to_string(address.size()) +
                         " bytes would overwrite what follows the string or corrupt its header)");
    return {};
  }

  // The scheduler's code for an S7 error.
  static collect::ErrorCode driver_code(ErrorCode code) noexcept {
    switch (code) {
      case ErrorCode::unreachable: return collect::ErrorCode::unreachable;
      case ErrorCode::bind_failed: return collect::ErrorCode::bind_failed;
      case ErrorCode::timeout: return collect::ErrorCode::timeout;
      case ErrorCode::closed: return collect::ErrorCode::closed;
      case ErrorCode::refused_by_plc: return collect::ErrorCode::refused_by_plc;
      case ErrorCode::bad_response:
      case ErrorCode::bad_value: return collect::ErrorCode::bad_response;
      case ErrorCode::value_unfit: return collect::ErrorCode::value_unfit;
      case ErrorCode::not_supported: return collect::ErrorCode::not_supported;
      case ErrorCode::internal: return collect::ErrorCode::internal;
    }
    return collect::ErrorCode::internal;
  }

  // An S7 error as the driver's, its message after `context` ("cannot write DB1.DBW0: ").
  collect::Error failure(const Error& error, const std::string& context = {}) const {
    return failure(driver_code(error.code), context + error.message);
  }

  collect::Error failure(collect::ErrorCode code, const std::string& message) const {
    return fail(code, "PLC " + plc_.name + " (" + plc_.host + ":" + std::to_string(connection_.port) + "): " + message);
  }

  // Runs a client coroutine to completion on this thread.
  template <class T>
  Result<T> run(asio::awaitable<Result<T>> operation) {
    std::optional<Result<T>> outcome;
    std::string thrown;
    asio::co_spawn(io_, std::move(operation), [&](std::exception_ptr failure, Result<T> result) {
      if (!failure) {
        outcome = std::move(result);
        return;
      }
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& error) {
        thrown = error.what();
      } catch (...) {
        thrown = "unknown exception";
      }
    });
    io_.restart();
    io_.run();
    if (outcome) return std::move(*outcome);
    client_.close();
    return fail(ErrorCode::internal, "internal error in the S7 client: " + thrown);
  }

  // One poll group's plan and what the PLC's refusals taught it.
  struct GroupPlan {
    std::vector<Address> addresses;  // the group's tags; plan slices index into these
    std::vector<TagLesson> lessons;  // one per address
    ReadPlan plan;
    std::optional<std::chrono::steady_clock::time_point> learned_at;  // the first lesson since the plan was made
  };

  PduLimits limits() const {
    PduLimits limits;
    limits.pdu_size = session_ ? session_->pdu_size : connection_.pdu_size;
    limits.max_items = kMaxItemsPerRequest;
    return limits;
  }

  static ItemCodes codes_of(const std::vector<PduResult>& answers) {
    ItemCodes codes(answers.size());
    for (std::size_t p = 0; p < answers.size(); ++p)
      for (const ItemResult& item : answers[p].items) codes[p].push_back(item.return_code);
    return codes;
  }

  // Plans are made once per tag set and connection (connect() drops them). Lessons are
  // forgotten after kRelearnInterval: the full plan is tried again, since a data block may
  // have been downloaded again with another length.
  GroupPlan& plan_for(std::span<const std::size_t> tags) {
    std::vector<std::size_t> key(tags.begin(), tags.end());
    auto found = plans_.find(key);
    if (found == plans_.end()) {
      GroupPlan group;
      group.addresses.reserve(tags.size());
      for (const std::size_t tag : tags) group.addresses.push_back(tags_[tag]);
      found = plans_.emplace(std::move(key), std::move(group)).first;
    } else if (!found->second.learned_at ||
               std::chrono::steady_clock::now() - *found->second.learned_at < kRelearnInterval) {
      return found->second;
    }
    GroupPlan& group = found->second;
    group.lessons.assign(group.addresses.size(), TagLesson{});
    group.learned_at.reset();
    group.plan = plan_reads(group.addresses, limits(), connection_.max_gap);
    return group;
  }

  // Copies each slice of each answered item into its tag's bytes, then decodes every tag.
  // A tag read again (`retry`) takes its bytes and time from the retry alone; a tag the
  // lessons skip is bad with the return code the PLC gave it when it was read alone.
  void assemble(const GroupPlan& group, const std::vector<PduResult>& answers, const ReadPlan& retry,
                const std::vector<PduResult>& retried, std::span<const std::size_t> tags,
                std::span<collect::Reading> out) const {
    const std::size_t count = tags.size();
    std::vector<Bytes> values(count);
    std::vector<std::size_t> filled(count, 0);
    std::vector<std::string> problems(count);
    std::vector<std::int64_t> times(count, 0);
    for (std::size_t k = 0; k < count; ++k) values[k].assign(tags_[tags[k]].size(), 0);
    std::vector<bool> in_retry(count, false);
    for (const PlannedPdu& pdu : retry.pdus)
      for (const PlannedItem& item : pdu.items)
        for (const Slice& slice : item.slices)
          if (slice.tag < count) in_retry[slice.tag] = true;

    const auto take = [&](const ReadPlan& plan, const std::vector<PduResult>& got_pdus, bool retrying) {
      for (std::size_t p = 0; p < plan.pdus.size() && p < got_pdus.size(); ++p) {
        const PduResult& answer = got_pdus[p];
        const auto& items = plan.pdus[p].items;
        for (std::size_t i = 0; i < items.size() && i < answer.items.size(); ++i) {
          const ItemResult& got = answer.items[i];
          for (const Slice& slice : items[i].slices) {
            if (slice.tag >= count || in_retry[slice.tag] != retrying) continue;
            times[slice.tag] = std::max(times[slice.tag], answer.arrived_ms);
            std::string& problem = problems[slice.tag];
            if (got.return_code != kReturnCodeSuccess) {
              if (problem.empty()) problem = describe_refusal(got.return_code, tags_[tags[slice.tag]]);
              continue;
            }
            Bytes& value = values[slice.tag];
            if (slice.item_offset + slice.length > got.data.size() || slice.tag_offset + slice.length > value.size()) {
              if (problem.empty()) problem = "internal error: the read plan's slice lies outside the item or the tag";
              continue;
            }
            std::copy_n(got.data.begin() + static_cast<std::ptrdiff_t>(slice.item_offset), slice.length,
                        value.begin() + static_cast<std::ptrdiff_t>(slice.tag_offset));
            filled[slice.tag] += slice.length;
          }
        }
      }
    };
    take(group.plan, answers, false);
    take(retry, retried, true);
    for (std::size_t k = 0; k < count && k < group.lessons.size(); ++k)
      if (group.lessons[k].lesson == Lesson::skip)
        problems[k] = describe_refusal(group.lessons[k].return_code, tags_[tags[k]]);

    for (std::size_t k = 0; k < count; ++k) {
      collect::Reading& reading = out[k];
      reading.time_ms = times[k] != 0 ? times[k] : clock_.now_ms();
      reading.value = std::monostate{};
      reading.quality = collect::Quality::bad;
      if (!problems[k].empty()) {
        reading.status = problems[k];
        continue;
      }
      if (filled[k] != values[k].size()) {
        reading.status = "internal error: the read plan covers " + std::to_string(filled[k]) + " of the tag's " +
                         std::to_string(values[k].size()) + " bytes";
        continue;
      }
      auto decoded = decode_value(tags_[tags[k]], values[k]);
      if (!decoded) {
        reading.status = std::move(decoded.error().message);
        continue;
      }
      reading.value = std::move(*decoded);
      reading.quality = collect::Quality::good;
      reading.status.clear();
    }
  }

  collect::PlcConfig plc_;
  collect::S7Connection connection_;
  std::vector<Address> tags_;
  std::string bind_address_;
  const Clock& clock_;
  asio::io_context io_{1};
  S7Client client_;
  std::optional<Session> session_;
  std::map<std::vector<std::size_t>, GroupPlan> plans_;
};

}  // namespace

std::unique_ptr<collect::PlcDriver> make_s7_driver(const collect::PlcConfig& plc, std::vector<Address> tags,
                                                   const std::string& bind_address, const Clock& clock) {
  return std::make_unique<S7Driver>(plc, std::move(tags), bind_address, clock);
}

}  // namespace logbot::agent::s7
