// The Modbus TCP driver over libmodbus. libmodbus is blocking, so every call here runs on the
// connection worker's thread (or the commissioning command's), never on an event loop.
//
// libmodbus cannot bind its socket to a local address, and the agent must connect from the
// automation-side address of the config: the driver makes the TCP connection itself (bind,
// non-blocking connect bounded by the timeout, back to blocking) and hands the socket to
// libmodbus, which then frames requests and checks responses (transaction id, unit id,
// function, counts).
//
// A Modbus exception answers one request: its tags turn bad and the connection stays; a
// coalesced request refused with exception 1, 2 or 3 is split so that only the tags the device
// refuses turn bad, and the driver remembers them (agent/modbus/modbus_refusals.hpp). Any
// other failure (timeout, reset, a malformed or mismatched response) leaves the connection in
// an unknown state, so the driver closes it and reports an error (collect::ErrorCode timeout, closed, bad_response);
// the next call connects afresh. Scale and offset are applied by the scheduler, not here.
#include "agent/modbus/modbus_driver.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <modbus/modbus.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/fmt/fmt.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "agent/modbus/modbus_codec.hpp"
#include "agent/modbus/modbus_refusals.hpp"

namespace logbot::agent::modbus {
namespace {

using collect::ErrorCode;
using collect::Quality;
using collect::Reading;
using SteadyClock = std::chrono::steady_clock;

struct ContextDeleter {
  void operator()(modbus_t* context) const noexcept {
    modbus_close(context);  // closes the socket handed over with modbus_set_socket
    modbus_free(context);
  }
};
using Context = std::unique_ptr<modbus_t, ContextDeleter>;

// Closes a socket that has not (yet) been handed to libmodbus.
class SocketGuard {
 public:
  explicit SocketGuard(int fd) noexcept : fd_(fd) {}
  SocketGuard(const SocketGuard&) = delete;
  SocketGuard& operator=(const SocketGuard&) = delete;
  ~SocketGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

struct AddrinfoDeleter {
  void operator()(addrinfo* list) const noexcept { freeaddrinfo(list); }
};

std::string error_text(int error) {
  return std::strerror(error);
}

bool is_modbus_exception(int error) noexcept {
  return error >= EMBXILFUN && error <= EMBXGTAR;
}

std::string_view element_name(Table table) {
  return is_bit_table(table) ? "bits" : "registers";
}

std::string request_text(Table table, std::size_t start, std::size_t count) {
  if (count <= 1) return fmt::format("{}:{}", table_name(table), start);
  return fmt::format("{}:{}..{}", table_name(table), start, start + count - 1);
}

class ModbusDriver final : public collect::PlcDriver {
 public:
  ModbusDriver(const collect::PlcConfig& plc, std::vector<Address> tags, std::string bind_address,
               const logbot::Clock& wall_clock)
      : name_(plc.name),
        host_(plc.host),
        timeout_(plc.timeout),
        connection_(std::get<collect::ModbusConnection>(plc.protocol)),
        tags_(std::move(tags)),
        bind_address_(std::move(bind_address)),
        wall_clock_(wall_clock) {}

  collect::Result<void> connect() override {
    if (context_) return {};
    auto socket = open_socket();
    if (!socket) return socket.error();
    SocketGuard guard(*socket);
    Context context(modbus_new_tcp(nullptr, connection_.port));
    if (!context)
      return fail_plain(ErrorCode::internal, fmt::format("cannot create the Modbus context ({})", error_text(errno)));
    if (modbus_set_slave(context.get(), connection_.unit_id) != 0) {
      return fail_plain(ErrorCode::internal, fmt::format("unit id {} is not valid for Modbus TCP (0..247 or 255)",
                                                         static_cast<unsigned>(connection_.unit_id)));
    }
    const auto timeout_us = static_cast<std::uint64_t>(std::max<std::int64_t>(timeout_.count(), 1)) * 1000U;
    const auto seconds = static_cast<std::uint32_t>(timeout_us / 1000000U);
    const auto microseconds = static_cast<std::uint32_t>(timeout_us % 1000000U);
    modbus_set_response_timeout(context.get(), seconds, microseconds);
    // TCP delivers a response in one or a few segments; a gap as long as the request timeout
    // inside one is a broken peer, not a slow one.
    modbus_set_byte_timeout(context.get(), seconds, microseconds);
    modbus_set_error_recovery(context.get(), MODBUS_ERROR_RECOVERY_NONE);
    modbus_set_socket(context.get(), guard.release());  // libmodbus owns the socket from here
    context_ = std::move(context);

    // Some gateways drop the first request when it follows the connect too closely.
    if (connection_.pause_after_connect.count() > 0) std::this_thread::sleep_for(connection_.pause_after_connect);
    last_request_end_ = SteadyClock::now();
    return {};
  }

  void disconnect() noexcept override { context_.reset(); }

  bool connected() const noexcept override { return context_ != nullptr; }

  collect::Result<void> read(std::span<const std::size_t> tags, std::span<Reading> out,
                             collect::ReadStats& stats) override {
    if (out.size() != tags.size())
      return fail_plain(ErrorCode::internal, "the read was given a result list of the wrong size");
    std::vector<Address> addresses;
    addresses.reserve(tags.size());
    for (const std::size_t tag : tags) {
      if (tag >= tags_.size())
        return fail_plain(ErrorCode::internal, fmt::format("tag index {} is not one of this PLC's tags", tag));
      addresses.push_back(tags_[tag]);
    }
    if (learned_at_ && SteadyClock::now() - *learned_at_ >= kRelearnInterval) forget_lessons();
    std::vector<unsigned> skip(tags.size(), 0);
    for (std::size_t i = 0; i < tags.size(); ++i) skip[i] = skip_[tags[i]];
    const std::vector<Cut> cuts(cuts_.begin(), cuts_.end());
    const ReadPlan plan = plan_with_lessons(
        addresses, skip, PlanLimits{connection_.max_registers, kMaxReadBits, connection_.max_gap}, cuts);

    if (auto connected = connect(); !connected) return connected;

    Cycle cycle{tags, addresses, out, stats};
    std::vector<std::size_t> offsets;
    for (const ReadRequest& request : plan.requests) {
      offsets.clear();
      for (const std::size_t i : request.tags) offsets.push_back(plan.placements[i].offset);
      auto refused = exchange(cycle, request, offsets);
      if (!refused) return refused.error();
      if (!*refused) continue;
      if (auto settled = settle_refused(cycle, request.tags, **refused); !settled) return settled.error();
    }
    const std::int64_t now = wall_clock_.now_ms();
    for (std::size_t i = 0; i < tags.size(); ++i)
      if (skip[i] != 0) out[i] = Reading{{}, Quality::bad, exception_status(skip[i]), now};
    if (connection_.close_after_poll) disconnect();
    return {};
  }

  collect::Result<void> write(std::size_t tag, const collect::Value& value) override {
    if (tag >= tags_.size())
      return fail_plain(ErrorCode::internal, fmt::format("tag index {} is not one of this PLC's tags", tag));
    const Address& address = tags_[tag];
    const std::string where = to_string(address);
    if (!is_writable(address.table)) {
      return fail_plain(
          ErrorCode::not_writable,
          fmt::format("{} is read-only: {} cannot be written over Modbus; write a holding register "
                      "(hr:N) or a coil (coil:N) instead",
                      where, address.table == Table::input_registers ? "input registers" : "discrete inputs"));
    }
    auto encoded = encode_value(address, value);
    if (!encoded)
      return fail_plain(ErrorCode::value_unfit, fmt::format("cannot write {}: {}", where, encoded.error().message));
    const std::vector<std::uint16_t>& registers = *encoded;

    if (auto connected = connect(); !connected) return connected;
    auto written = write_encoded(address, registers);
    if (connection_.close_after_poll) disconnect();
    return written;
  }

  std::string describe() const override {
    std::string text =
        fmt::format("Modbus {}:{} unit {}", host_, connection_.port, static_cast<unsigned>(connection_.unit_id));
    if (connection_.pause_after_connect.count() > 0) {
      text += fmt::format(", pause {} ms after connect", connection_.pause_after_connect.count());
    }
    if (connection_.pause_between_requests.count() > 0) {
      text += fmt::format(", pause {} ms between requests", connection_.pause_between_requests.count());
    }
    if (connection_.close_after_poll) text += ", closed after each poll";
    return text;
  }

 private:
  // What one read() works on: its tags (driver indexes), their addresses, results, figures.
  struct Cycle {
    std::span<const std::size_t> tags;
    const std::vector<Address>& addresses;
    std::span<Reading> out;
    collect::ReadStats& stats;
  };

  // Sends one read request. Success fills out[] for request.tags (offsets[k]: where tag k of
  // the request starts in it) and gives nothing; a Modbus exception gives its code (the tags
  // are left to the caller); anything else is a failure of the connection.
  collect::Result<std::optional<unsigned>> exchange(Cycle& cycle, const ReadRequest& request,
                                                    std::span<const std::size_t> offsets) {
    pace();
    std::vector<std::uint16_t> registers;
    std::vector<std::uint8_t> bits;
    int received = -1;
    if (is_bit_table(request.table)) {
      bits.assign(request.count, 0);
      received = request.table == Table::coils
                     ? modbus_read_bits(context_.get(), request.start, request.count, bits.data())
                     : modbus_read_input_bits(context_.get(), request.start, request.count, bits.data());
    } else {
      registers.assign(request.count, 0);
      received = request.table == Table::holding_registers
                     ? modbus_read_registers(context_.get(), request.start, request.count, registers.data())
                     : modbus_read_input_registers(context_.get(), request.start, request.count, registers.data());
    }
    const int error = errno;
    last_request_end_ = SteadyClock::now();
    ++cycle.stats.round_trips;
    ++cycle.stats.items;
    const std::int64_t time_ms = wall_clock_.now_ms();

    if (received < 0 && is_modbus_exception(error)) return std::optional<unsigned>(error - MODBUS_ENOBASE);
    if (received < 0) {
      return fail_connection(fmt::format("reading {}", request_text(request.table, request.start, request.count)),
                             error);
    }
    if (received != request.count) {
      disconnect();
      return fail_plain(ErrorCode::bad_response,
                        fmt::format("the device answered the read of {} with {} {} instead of {}; disconnected",
                                    request_text(request.table, request.start, request.count), received,
                                    element_name(request.table), request.count));
    }
    cycle.stats.bytes += is_bit_table(request.table) ? (request.count + 7U) / 8U : 2U * request.count;

    for (std::size_t k = 0; k < request.tags.size(); ++k) {
      const std::size_t i = request.tags[k];
      const std::size_t at = offsets[k];
      const Address& address = cycle.addresses[i];
      if (is_bit_table(address.table)) {
        cycle.out[i] = Reading{collect::Value{bits[at] != 0}, Quality::good, {}, time_ms};
        continue;
      }
      auto value = decode_registers(address, std::span<const std::uint16_t>(registers).subspan(at, address.count()));
      if (value) {
        cycle.out[i] = Reading{std::move(*value), Quality::good, {}, time_ms};
      } else {
        cycle.out[i] = Reading{{}, Quality::bad, std::move(value.error().message), time_ms};
      }
    }
    return std::optional<unsigned>();
  }

  // The tags `members` were refused together with exception `code`: split them and read the
  // halves (agent/modbus/modbus_refusals.hpp), learning which tags are bad and where the
  // device does not let a request reach across. True when some tag ended bad.
  collect::Result<bool> settle_refused(Cycle& cycle, std::span<const std::size_t> members, unsigned code) {
    const std::optional<Split> split =
        exception_splits(code) ? split_request(cycle.addresses, members) : std::optional<Split>();
    if (!split && exception_splits(code) && members.size() > 1) {
      // Tags that overlap in one block cannot be separated by a cut: each is read alone, once
      // (the bad ones are skipped from then on), so a good tag is never bad for its neighbour.
      bool bad = false;
      std::vector<std::size_t> offsets;
      for (const std::size_t i : members) {
        const ReadRequest request = request_for(cycle.addresses, std::span<const std::size_t>(&i, 1), offsets);
        auto refused = exchange(cycle, request, offsets);
        if (!refused) return refused.error();
        if (!*refused) continue;
        cycle.out[i] = Reading{{}, Quality::bad, exception_status(**refused), wall_clock_.now_ms()};
        if (exception_splits(**refused)) learn_skip(cycle.tags[i], **refused);
        bad = true;
      }
      return bad;
    }
    if (!split) {
      const std::int64_t time_ms = wall_clock_.now_ms();
      for (const std::size_t i : members) {
        cycle.out[i] = Reading{{}, Quality::bad, exception_status(code), time_ms};
        if (exception_splits(code)) learn_skip(cycle.tags[i], code);
      }
      return true;
    }
    bool bad = false;
    std::vector<std::size_t> offsets;
    for (const std::vector<std::size_t>* half : {&split->first, &split->second}) {
      const ReadRequest request = request_for(cycle.addresses, *half, offsets);
      auto refused = exchange(cycle, request, offsets);
      if (!refused) return refused.error();
      if (!*refused) continue;
      auto settled = settle_refused(cycle, request.tags, **refused);
      if (!settled) return settled.error();
      bad = bad || *settled;
    }
    // Both halves read well: the device refuses reading across this point itself.
    if (!bad && cuts_.emplace(cycle.addresses[members.front()].table, split->cut).second) note_lesson();
    return bad;
  }

  void learn_skip(std::size_t tag, unsigned code) {
    if (skip_[tag] == code) return;
    skip_[tag] = code;
    note_lesson();
  }

  void note_lesson() {
    if (!learned_at_) learned_at_ = SteadyClock::now();
  }

  // After a lost connection and every kRelearnInterval: the device's map may have changed.
  void forget_lessons() {
    std::fill(skip_.begin(), skip_.end(), 0U);
    cuts_.clear();
    learned_at_.reset();
  }

  std::string exception_status(unsigned code) const { return describe_refusal(code, connection_.unit_id); }

  // Coils: function 5. One register: function 6; several: function 16. A register bit is
  // read-modify-write (functions 3 then 6) rather than mask write (function 22), which many
  // devices do not implement; the PLC program must not change the register's other bits in
  // between, the usual contract for a commissioning write.
  collect::Result<void> write_encoded(const Address& address, const std::vector<std::uint16_t>& registers) {
    const std::string where = to_string(address);
    if (address.table == Table::coils) {
      pace();
      return finish_write(where, modbus_write_bit(context_.get(), address.offset, registers[0] != 0 ? 1 : 0));
    }
    if (address.bit >= 0) {
      std::uint16_t current = 0;
      pace();
      const int received = modbus_read_registers(context_.get(), address.offset, 1, &current);
      if (received != 1) return finish_write(where, received < 0 ? -1 : 0, "reading the register to change one bit of");
      const auto mask = static_cast<std::uint16_t>(1U << address.bit);
      const auto updated = static_cast<std::uint16_t>(registers[0] != 0 ? (current | mask) : (current & ~mask));
      pace();
      return finish_write(where, modbus_write_register(context_.get(), address.offset, updated));
    }
    pace();
    if (registers.size() == 1)
      return finish_write(where, modbus_write_register(context_.get(), address.offset, registers[0]));
    return finish_write(where, modbus_write_registers(context_.get(), address.offset,
                                                      static_cast<int>(registers.size()), registers.data()));
  }

  // `result` is libmodbus's return value (negative on failure, errno set).
  collect::Result<void> finish_write(const std::string& where, int result, std::string_view action = "writing") {
    const int error = errno;
    last_request_end_ = SteadyClock::now();
    if (result > 0) return {};
    if (result < 0 && is_modbus_exception(error)) {
      return fail_plain(ErrorCode::refused_by_plc,
                        fmt::format("the device refused {} {}: {}", action, where,
                                    describe_exception(static_cast<unsigned>(error - MODBUS_ENOBASE))));
    }
    if (result == 0) {
      disconnect();
      return fail_plain(ErrorCode::bad_response,
                        fmt::format("the device gave an unexpected answer to {} {}; disconnected", action, where));
    }
    return fail_connection(fmt::format("{} {}", action, where), error);
  }

  // Waits out pause_between_requests since the end of the previous request (of this poll or
  // the one before), for devices that cannot take back-to-back requests.
  void pace() {
    if (connection_.pause_between_requests.count() <= 0) return;
    const auto ready = last_request_end_ + connection_.pause_between_requests;
    const auto now = SteadyClock::now();
    if (ready > now) std::this_thread::sleep_for(ready - now);
  }

  std::string peer() const { return fmt::format("{}:{}", host_, connection_.port); }

  collect::Error fail_plain(ErrorCode code, std::string what) const {
    return fail(code, fmt::format("PLC \"{}\" (Modbus {} unit {}): {}", name_, peer(),
                                  static_cast<unsigned>(connection_.unit_id), what));
  }

  // A failure of the connection itself: close it so the next call starts afresh.
  collect::Error fail_connection(const std::string& action, int error) {
    disconnect();
    forget_lessons();
    std::string reason;
    ErrorCode code = ErrorCode::closed;
    if (error == ETIMEDOUT || error == EAGAIN) {
      // The TCP connection stands, so the device (or gateway) is there but ignores the request:
      // most often the unit id is not the device's.
      reason = describe_silence(timeout_.count(), connection_.unit_id);
      code = ErrorCode::timeout;
    } else if (error == EMBBADDATA || error == EMBMDATA || error == EMBBADEXC || error == EMBUNKEXC ||
               error == EMBBADSLAVE || error == EMBBADCRC) {
      reason = fmt::format("invalid response ({})", modbus_strerror(error));
      code = ErrorCode::bad_response;
    } else {
      reason = modbus_strerror(error);
    }
    return fail_plain(code, fmt::format("{} failed: {}; disconnected, the next poll reconnects", action, reason));
  }

  // TCP connection from bind_address (when set) to the PLC, bounded by the timeout.
  collect::Result<int> open_socket() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;

    in_addr bind_v4{};
    in6_addr bind_v6{};
    int bind_family = AF_UNSPEC;
    if (!bind_address_.empty()) {
      if (inet_pton(AF_INET, bind_address_.c_str(), &bind_v4) == 1) {
        bind_family = AF_INET;
      } else if (inet_pton(AF_INET6, bind_address_.c_str(), &bind_v6) == 1) {
        bind_family = AF_INET6;
      } else {
        return fail_plain(ErrorCode::bind_failed,
                          fmt::format("cannot bind to local address \"{}\": it is not an IPv4 or IPv6 address; "
                                      "set [automation] bind_address to an address of this machine",
                                      bind_address_));
      }
      hints.ai_family = bind_family;
    }

    addrinfo* found = nullptr;
    const std::string port = std::to_string(connection_.port);
    if (const int rc = getaddrinfo(host_.c_str(), port.c_str(), &hints, &found); rc != 0) {
      return fail_plain(
          ErrorCode::unreachable,
          fmt::format("cannot resolve host \"{}\" ({}); check the PLC's host setting", host_, gai_strerror(rc)));
    }
    const std::unique_ptr<addrinfo, AddrinfoDeleter> list(found);

    std::string last_error = "no address found";
    for (const addrinfo* candidate = list.get(); candidate != nullptr; candidate = candidate->ai_next) {
      SocketGuard socket(::socket(candidate->ai_family, candidate->ai_socktype | SOCK_CLOEXEC, candidate->ai_protocol));
      if (socket.get() < 0) {
        last_error = fmt::format("cannot create a socket ({})", error_text(errno));
        continue;
      }
      if (bind_family == AF_INET) {
        sockaddr_in local{};
        local.sin_family = AF_INET;
        local.sin_addr = bind_v4;
        if (::bind(socket.get(), reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
          return fail_plain(ErrorCode::bind_failed, bind_error(errno));
        }
      } else if (bind_family == AF_INET6) {
        sockaddr_in6 local{};
        local.sin6_family = AF_INET6;
        local.sin6_addr = bind_v6;
        if (::bind(socket.get(), reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
          return fail_plain(ErrorCode::bind_failed, bind_error(errno));
        }
      }
      if (auto connected = connect_within_timeout(socket.get(), candidate); !connected) {
        last_error = connected.error();
        continue;
      }
      const int one = 1;
      ::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return socket.release();
    }
    return fail_plain(ErrorCode::unreachable,
                      fmt::format("cannot connect: {}; check that the device is on, that host and port are right "
                                  "and that no firewall blocks the port",
                                  last_error));
  }

  std::string bind_error(int error) const {
    return fmt::format(
        "cannot bind to local address {} ({}); set [automation] bind_address to an address of this "
        "machine's automation-side interface, or remove it",
        bind_address_, error_text(error));
  }

  boost::system::result<void, std::string> connect_within_timeout(int fd, const addrinfo* target) const {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return error_text(errno);
    if (::connect(fd, target->ai_addr, target->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) return error_text(errno);
      const auto deadline = SteadyClock::now() + timeout_;
      for (;;) {  // bounded by the deadline; EINTR only repeats the wait
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
        if (left.count() <= 0) return fmt::format("no connection within {} ms", timeout_.count());
        pollfd watched{fd, POLLOUT, 0};
        const int ready = ::poll(&watched, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return error_text(errno);
        if (ready == 0) return fmt::format("no connection within {} ms", timeout_.count());
        break;
      }
      int socket_error = 0;
      socklen_t length = sizeof socket_error;
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &socket_error, &length) != 0) return error_text(errno);
      if (socket_error != 0) return error_text(socket_error);
    }
    if (::fcntl(fd, F_SETFL, flags) != 0) return error_text(errno);
    return {};
  }

  std::string name_;
  std::string host_;
  collect::Milliseconds timeout_;
  collect::ModbusConnection connection_;
  std::vector<Address> tags_;
  std::string bind_address_;
  const logbot::Clock& wall_clock_;  // stamps readings
  Context context_;
  SteadyClock::time_point last_request_end_{};
  // Lessons from refused requests (agent/modbus/modbus_refusals.hpp): per driver tag the
  // exception that makes it skipped (0: read it), and where no request may read across.
  std::vector<unsigned> skip_ = std::vector<unsigned>(tags_.size(), 0U);
  std::set<Cut> cuts_;
  std::optional<SteadyClock::time_point> learned_at_;
};

}  // namespace

std::unique_ptr<collect::PlcDriver> make_modbus_driver(const collect::PlcConfig& plc, std::vector<Address> tags,
                                                       const std::string& bind_address, const logbot::Clock& clock) {
  return std::make_unique<ModbusDriver>(plc, std::move(tags), bind_address, clock);
}

}  // namespace logbot::agent::modbus
