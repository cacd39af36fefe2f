// The S7comm client on Boost.Asio: TPKT/COTP connection, Setup Communication, Read Var, Write Var.
// Coroutines over one TCP socket; every await races a timer, errors are values (agent/s7/error.hpp). Any error of
// a call closes the connection (the next connect() starts afresh); a write the PLC refuses
// is not an error of the connection but a return code. Wire format: agent/s7/s7_pdu.hpp.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/s7/s7_address.hpp"
#include "agent/s7/s7_pdu.hpp"
#include "agent/s7/s7_plan.hpp"
#include "common/clock.hpp"

namespace logbot::agent::s7 {

struct ConnectOptions {
  std::string host;
  std::uint16_t port = 102;
  std::string bind_address;  // automation-side local address; empty: the system's choice
  Tsaps tsaps;
  std::uint16_t pdu_size = 960;             // requested
  std::uint16_t max_parallel_jobs = 8;      // requested; the PLC usually grants fewer
  std::chrono::milliseconds timeout{3000};  // connect (all steps together) and each request
};

// What the PLC agreed to in Setup Communication.
struct Session {
  std::uint16_t pdu_size = 0;
  std::uint16_t parallel_jobs = 1;  // Read Var requests the client keeps in flight
};

struct ItemResult {
  std::uint8_t return_code = 0;  // kReturnCodeSuccess: `data` holds the item's bytes
  Bytes data;
};

// The answer to one planned PDU, in the plan's order.
struct PduResult {
  std::vector<ItemResult> items;  // one per planned item
  std::int64_t arrived_ms = 0;    // UTC ms when the response PDU was complete
};

class S7Client {
 public:
  S7Client(boost::asio::any_io_executor executor, const Clock& clock);

  // Resolves, binds (when a local address is given), connects TCP, then COTP and Setup
  // Communication, all within options.timeout. Closes an open connection first.
  boost::asio::awaitable<Result<Session>> connect(ConnectOptions options);
  // Reads every PDU of `plan` (which must outlive the call), keeping up to
  // session().parallel_jobs requests in flight and matching answers by PDU reference.
  boost::asio::awaitable<Result<std::vector<PduResult>>> read(const ReadPlan& plan);
  // Writes `value` (address.size() bytes) and returns the PLC's return code for the item.
  boost::asio::awaitable<Result<std::uint8_t>> write(const Address& address, Bytes value);

  void close() noexcept;
  bool is_open() const noexcept { return socket_.is_open(); }
  const Session& session() const noexcept { return session_; }

 private:
  using Deadline = std::chrono::steady_clock::time_point;
  Deadline request_deadline() const { return std::chrono::steady_clock::now() + options_.timeout; }
  boost::asio::awaitable<Result<void>> open_tcp(Deadline deadline);
  boost::asio::awaitable<Result<void>> send(ByteView frame, Deadline deadline, std::string_view step);
  // One TPKT frame's payload (the COTP TPDU).
  boost::asio::awaitable<Result<Bytes>> receive_frame(Deadline deadline, std::string_view step);
  // One S7 PDU, joined from as many data TPDUs as it takes.
  boost::asio::awaitable<Result<Bytes>> receive_pdu(Deadline deadline, std::string_view step);
  std::uint16_t next_reference() noexcept;
  // Closes the connection and returns `error`.
  Error close_with(Error error) noexcept;

  boost::asio::ip::tcp::socket socket_;
  const Clock& clock_;
  ConnectOptions options_;
  Session session_;
  std::size_t frame_limit_ = 0;  // largest TPKT frame accepted
  PduAssembler assembler_{0};
  std::uint16_t last_reference_ = 0;
};

}  // namespace logbot::agent::s7
