// The Modbus driver against peers on loopback: libmodbus' own server (a real Modbus TCP slave
// in a thread), a silent peer, a peer that answers garbage, a closed port, and a local address
// that cannot be bound. Checks tag-level versus connection-level failures and the writes.
#include "agent/modbus/modbus_driver.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <modbus/modbus.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "agent/modbus/modbus_codec.hpp"

namespace logbot::agent::modbus {
namespace {

using collect::Quality;
using collect::Reading;
using collect::ReadStats;
using collect::Value;

// The drivers stamp readings with the injected wall clock: a fixed one makes the stamp exact.
constexpr std::int64_t kNowMs = 1'795'823'941'123;  // 2026-11-27T23:59:01.123Z
const ManualClock kClock(kNowMs);

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A listening socket on 127.0.0.1 with an ephemeral port.
int listen_on_loopback(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 4) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return fd;
}

bool wait_readable(int fd, int timeout_ms) {
  pollfd watched{fd, POLLIN, 0};
  return ::poll(&watched, 1, timeout_ms) > 0;
}

// A peer in a thread: each accepted connection is handed to `session` (bounded by `stop`).
class LoopbackPeer {
 public:
  using Session = std::function<void(int fd, const std::atomic<bool>& stop)>;
  explicit LoopbackPeer(Session session) : session_(std::move(session)) {
    listen_fd_ = listen_on_loopback(port_);
    thread_ = std::thread([this] { run(); });
  }
  ~LoopbackPeer() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }
  std::uint16_t port() const { return port_; }
  int connections() const { return connections_; }

 private:
  void run() {
    while (!stop_) {
      if (!wait_readable(listen_fd_, 20)) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      session_(fd, stop_);
      ::close(fd);
    }
  }
  Session session_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// libmodbus' server over a mapping: 16 coils, 16 discrete inputs, 32 holding registers and
// 16 input registers from address 0; anything beyond answers exception 2.
class ModbusSlave {
 public:
  ModbusSlave()
      : mapping_(modbus_mapping_new_start_address(0, 16, 0, 16, 0, 32, 0, 16)),
        peer_([this](int fd, const std::atomic<bool>& stop) { serve(fd, stop); }) {}
  ~ModbusSlave() = default;
  std::uint16_t port() const { return peer_.port(); }
  modbus_mapping_t* mapping() { return mapping_.get(); }

 private:
  void serve(int fd, const std::atomic<bool>& stop) {
    modbus_t* context = modbus_new_tcp("127.0.0.1", 0);
    modbus_set_socket(context, ::dup(fd));
    std::array<std::uint8_t, MODBUS_TCP_MAX_ADU_LENGTH> query{};
    while (!stop) {
      if (!wait_readable(fd, 20)) continue;
      const int received = modbus_receive(context, query.data());
      if (received < 0) break;  // the client closed the connection
      if (received > 0) modbus_reply(context, query.data(), received, mapping_.get());
    }
    modbus_close(context);
    modbus_free(context);
  }
  struct MappingDeleter {
    void operator()(modbus_mapping_t* mapping) const { modbus_mapping_free(mapping); }
  };
  std::unique_ptr<modbus_mapping_t, MappingDeleter> mapping_;
  LoopbackPeer peer_;  // last: its thread uses the mapping
};

collect::PlcConfig modbus_plc(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  collect::PlcConfig plc;
  plc.name = "press";
  plc.host = "127.0.0.1";
  plc.timeout = timeout;
  collect::ModbusConnection connection;
  connection.port = port;
  plc.protocol = connection;
  return plc;
}

Address parse(std::string_view address, std::string_view type = {}, std::string_view order = {}) {
  auto parsed = parse_address(address, type, order);
  EXPECT_TRUE(parsed.has_value()) << address;
  return parsed ? *parsed : Address{};
}

struct ReadOutcome {
  collect::Result<void> result;
  std::vector<Reading> readings;
  ReadStats stats;
};

ReadOutcome read_all(collect::PlcDriver& driver, std::size_t tag_count) {
  std::vector<std::size_t> tags(tag_count);
  for (std::size_t i = 0; i < tag_count; ++i) tags[i] = i;
  ReadOutcome outcome{{}, std::vector<Reading>(tag_count), {}};
  outcome.result = driver.read(tags, outcome.readings, outcome.stats);
  return outcome;
}

TEST(ModbusDriver, ReadsEveryTableAndMarksOnlyTheExceptionsBad) {
  ModbusSlave slave;
  // FLOAT32 21.5 in CDAB at hr:2, INT16 -2 at hr:4, bit 3 of hr:5, coil 1, discrete input 2.
  slave.mapping()->tab_registers[2] = 0x0000;
  slave.mapping()->tab_registers[3] = 0x41AC;
  slave.mapping()->tab_registers[4] = 0xFFFE;
  slave.mapping()->tab_registers[5] = 0x0008;
  slave.mapping()->tab_input_registers[0] = 4660;
  slave.mapping()->tab_bits[1] = 1;
  slave.mapping()->tab_input_bits[2] = 1;

  auto driver =
      make_modbus_driver(modbus_plc(slave.port()),
                         {parse("hr:2", "FLOAT32", "CDAB"), parse("hr:4", "INT16"), parse("hr:5.3"), parse("hr:100"),
                          parse("ir:0"), parse("coil:1"), parse("coil:0"), parse("di:2"), parse("di:40")},
                         "", kClock);
  const ReadOutcome outcome = read_all(*driver, 9);
  ASSERT_TRUE(outcome.result.has_value()) << outcome.result.error().message;
  const std::vector<Value> expected{Value{21.5},
                                    Value{std::int64_t{-2}},
                                    Value{true},
                                    Value{},
                                    Value{std::uint64_t{4660}},
                                    Value{true},
                                    Value{false},
                                    Value{true},
                                    Value{}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (i == 3 || i == 8) {
      EXPECT_EQ(outcome.readings[i].quality, Quality::bad) << i;
      EXPECT_EQ(outcome.readings[i].status, "Modbus exception 2 (illegal data address)") << i;
    } else {
      EXPECT_EQ(outcome.readings[i].quality, Quality::good) << i << ": " << outcome.readings[i].status;
      EXPECT_EQ(outcome.readings[i].value, expected[i]) << i;
    }
    EXPECT_EQ(outcome.readings[i].time_ms, kNowMs) << i;  // refused tags too
  }
  // hr:2..5, hr:100, ir:0, coil:0..1, di:2, di:40.
  EXPECT_EQ(outcome.stats.round_trips, 6U);
  EXPECT_EQ(outcome.stats.items, 6U);
  EXPECT_EQ(outcome.stats.bytes, 8U + 2U + 1U + 1U);
  EXPECT_TRUE(driver->connected());
  EXPECT_EQ(driver->describe(), "Modbus 127.0.0.1:" + std::to_string(slave.port()) + " unit 1");
}

TEST(ModbusDriver, WritesRegistersCoilsAndRegisterBits) {
  ModbusSlave slave;
  slave.mapping()->tab_registers[9] = 0x0101;
  auto driver = make_modbus_driver(
      modbus_plc(slave.port()),
      {parse("hr:0", "FLOAT64", "DCBA"), parse("hr:4", "INT16"), parse("coil:3"), parse("hr:9.5"), parse("hr:9.0")}, "",
      kClock);
  ASSERT_TRUE(driver->write(0, Value{-1234.5678}).has_value());
  EXPECT_EQ(slave.mapping()->tab_registers[0], 0xADFA);
  EXPECT_EQ(slave.mapping()->tab_registers[1], 0x5C6D);
  EXPECT_EQ(slave.mapping()->tab_registers[2], 0x454A);
  EXPECT_EQ(slave.mapping()->tab_registers[3], 0x93C0);
  ASSERT_TRUE(driver->write(1, Value{std::int64_t{-300}}).has_value());
  EXPECT_EQ(slave.mapping()->tab_registers[4], 0xFED4);
  ASSERT_TRUE(driver->write(2, Value{true}).has_value());
  EXPECT_EQ(slave.mapping()->tab_bits[3], 1);
  ASSERT_TRUE(driver->write(3, Value{true}).has_value());
  EXPECT_EQ(slave.mapping()->tab_registers[9], 0x0121);
  ASSERT_TRUE(driver->write(4, Value{false}).has_value());
  EXPECT_EQ(slave.mapping()->tab_registers[9], 0x0120);

  const auto too_big = driver->write(1, Value{std::int64_t{40000}});
  ASSERT_FALSE(too_big.has_value());
  EXPECT_TRUE(contains(too_big.error().message, "-32768..32767")) << too_big.error().message;
  EXPECT_EQ(too_big.error().code, collect::ErrorCode::value_unfit);
  EXPECT_EQ(slave.mapping()->tab_registers[4], 0xFED4);
}

TEST(ModbusDriver, ARefusedWriteNamesTheException) {
  ModbusSlave slave;
  auto driver = make_modbus_driver(modbus_plc(slave.port()), {parse("hr:200")}, "", kClock);
  const auto refused = driver->write(0, Value{std::uint64_t{1}});
  ASSERT_FALSE(refused.has_value());
  EXPECT_TRUE(contains(refused.error().message, "Modbus exception 2 (illegal data address)"))
      << refused.error().message;
  EXPECT_EQ(refused.error().code, collect::ErrorCode::refused_by_plc);
  EXPECT_TRUE(contains(refused.error().message, "PLC \"press\"")) << refused.error().message;
  EXPECT_TRUE(driver->connected()) << "an exception leaves the connection usable";
}

TEST(ModbusDriver, InputRegistersAndDiscreteInputsAreReadOnly) {
  // Port 9 on loopback is closed: the refusal comes before any connection attempt.
  auto driver = make_modbus_driver(modbus_plc(9), {parse("ir:0"), parse("di:0")}, "", kClock);
  for (std::size_t tag : {0U, 1U}) {
    const auto refused = driver->write(tag, Value{std::uint64_t{1}});
    ASSERT_FALSE(refused.has_value());
    EXPECT_TRUE(contains(refused.error().message, "read-only")) << refused.error().message;
    EXPECT_EQ(refused.error().code, collect::ErrorCode::not_writable);
  }
  EXPECT_FALSE(driver->connected());
}

TEST(ModbusDriver, ARefusedConnectionIsAConnectionError) {
  std::uint16_t port = 0;
  const int fd = listen_on_loopback(port);
  ::close(fd);  // the port is now closed
  auto driver = make_modbus_driver(modbus_plc(port), {parse("hr:0")}, "", kClock);
  const ReadOutcome outcome = read_all(*driver, 1);
  ASSERT_FALSE(outcome.result.has_value());
  const std::string& message = outcome.result.error().message;
  EXPECT_TRUE(contains(message, "PLC \"press\" (Modbus 127.0.0.1:" + std::to_string(port) + " unit 1)")) << message;
  EXPECT_TRUE(contains(message, "Connection refused")) << message;
  EXPECT_EQ(outcome.result.error().code, collect::ErrorCode::unreachable);
  EXPECT_FALSE(driver->connected());
}

TEST(ModbusDriver, ALocalAddressNotOnThisMachineCannotBeBound) {
  ModbusSlave slave;
  auto driver = make_modbus_driver(modbus_plc(slave.port()), {parse("hr:0")}, "192.0.2.1", kClock);
  const auto connected = driver->connect();
  ASSERT_FALSE(connected.has_value());
  EXPECT_TRUE(contains(connected.error().message, "cannot bind to local address 192.0.2.1"))
      << connected.error().message;
  EXPECT_EQ(connected.error().code, collect::ErrorCode::bind_failed);
  auto garbled = make_modbus_driver(modbus_plc(slave.port()), {parse("hr:0")}, "not-an-address", kClock);
  EXPECT_FALSE(garbled->connect().has_value());

  auto bound = make_modbus_driver(modbus_plc(slave.port()), {parse("hr:0")}, "127.0.0.1", kClock);
  EXPECT_TRUE(bound->connect().has_value());
}

TEST(ModbusDriver, ASilentPeerTimesOutAndDisconnects) {
  LoopbackPeer silent([](int fd, const std::atomic<bool>& stop) {
    std::array<char, 256> sink{};
    while (!stop) {  // reads and never answers, until the client goes
      if (!wait_readable(fd, 20)) continue;
      if (::recv(fd, sink.data(), sink.size(), 0) <= 0) return;
    }
  });
  auto driver =
      make_modbus_driver(modbus_plc(silent.port(), std::chrono::milliseconds(200)), {parse("hr:0")}, "", kClock);
  const ReadOutcome outcome = read_all(*driver, 1);
  ASSERT_FALSE(outcome.result.has_value());
  EXPECT_TRUE(contains(outcome.result.error().message, "no answer within 200 ms")) << outcome.result.error().message;
  EXPECT_EQ(outcome.result.error().code, collect::ErrorCode::timeout);
  EXPECT_TRUE(contains(outcome.result.error().message, "hr:0")) << outcome.result.error().message;
  EXPECT_FALSE(driver->connected());
}

TEST(ModbusDriver, AGarbledResponseIsAConnectionError) {
  // Answers every request with a frame of another transaction and a wrong length.
  LoopbackPeer garbling([](int fd, const std::atomic<bool>& stop) {
    std::array<std::uint8_t, 256> request{};
    while (!stop) {
      if (!wait_readable(fd, 20)) continue;
      if (::recv(fd, request.data(), request.size(), 0) <= 0) return;
      const std::uint8_t answer[] = {0x77, 0x77, 0x00, 0x00, 0x00, 0x05, 0x01, 0x03, 0x02, 0x12, 0x34};
      if (::send(fd, answer, sizeof answer, MSG_NOSIGNAL) < 0) return;
    }
  });
  auto driver = make_modbus_driver(modbus_plc(garbling.port(), std::chrono::milliseconds(500)),
                                   {parse("hr:0"), parse("hr:1")}, "", kClock);
  const ReadOutcome outcome = read_all(*driver, 2);
  ASSERT_FALSE(outcome.result.has_value());
  EXPECT_TRUE(contains(outcome.result.error().message, "hr:0..1")) << outcome.result.error().message;
  EXPECT_FALSE(driver->connected());
}

TEST(ModbusDriver, CloseAfterPollReconnectsEveryPoll) {
  ModbusSlave slave;
  collect::PlcConfig plc = modbus_plc(slave.port());
  auto& connection = std::get<collect::ModbusConnection>(plc.protocol);
  connection.close_after_poll = true;
  connection.pause_between_requests = std::chrono::milliseconds(1);
  slave.mapping()->tab_registers[0] = 7;
  auto driver = make_modbus_driver(plc, {parse("hr:0"), parse("coil:0")}, "", kClock);
  for (int poll = 0; poll < 2; ++poll) {
    const ReadOutcome outcome = read_all(*driver, 2);
    ASSERT_TRUE(outcome.result.has_value()) << outcome.result.error().message;
    EXPECT_EQ(outcome.readings[0].value, Value{std::uint64_t{7}});
    EXPECT_FALSE(driver->connected());
  }
  EXPECT_TRUE(contains(driver->describe(), "closed after each poll")) << driver->describe();
  EXPECT_TRUE(contains(driver->describe(), "pause 1 ms between requests")) << driver->describe();
}

}  // namespace
}  // namespace logbot::agent::modbus
