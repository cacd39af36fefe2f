// The S7comm client's I/O: a thin coroutine layer over the pure codec of s7_pdu. Each step
// reads like the protocol (connect, COTP, Setup Communication, Read Var in a window of
// parallel jobs); each await races a deadline, so a silent PLC costs at most the timeout.
#include "agent/s7/s7_client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <tuple>
#include <variant>

namespace logbot::agent::s7 {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

// Races an operation against a deadline; nullopt when the deadline won (the operation is cancelled).
template <class... Results>
asio::awaitable<std::optional<std::tuple<Results...>>> before(asio::awaitable<std::tuple<Results...>> operation,
                                                              std::chrono::steady_clock::time_point deadline) {
  asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
  auto outcome = co_await (std::move(operation) || timer.async_wait(kAsTuple));
  if (outcome.index() == 0) co_return std::get<0>(std::move(outcome));
  co_return std::nullopt;
}

Error describe_io_error(const boost::system::error_code& ec, std::string_view step, bool mid_frame) {
  const std::string where = mid_frame ? " in the middle of a frame" : "";
  if (ec == asio::error::eof)
    return fail(ErrorCode::closed, "the PLC closed the connection during the " + std::string(step) + where);
  if (ec == asio::error::connection_reset)
    return fail(ErrorCode::closed, "the PLC reset the connection during the " + std::string(step) + where);
  return fail(ErrorCode::closed, "the " + std::string(step) + " failed: " + ec.message());
}

Error timeout_error(std::chrono::milliseconds timeout, std::string_view step) {
  return fail(ErrorCode::timeout,
              "no answer from the PLC within " + std::to_string(timeout.count()) + " ms to the " + std::string(step));
}

}  // namespace

S7Client::S7Client(asio::any_io_executor executor, const Clock& clock) : socket_(std::move(executor)), clock_(clock) {}

void S7Client::close() noexcept {
  boost::system::error_code ignored;
  if (socket_.is_open()) {
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }
}

Error S7Client::close_with(Error error) noexcept {
  close();
  return error;
}

std::uint16_t S7Client::next_reference() noexcept {
  // Never 0: some PLCs treat reference 0 as "no reference".
  last_reference_ = static_cast<std::uint16_t>(last_reference_ == 0xFFFF ? 1 : last_reference_ + 1);
  return last_reference_;
}

// GCC 12 reports -Wmismatched-new-delete inside Asio's awaitable frame allocator (a known false
// positive, as in https_client.cpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

asio::awaitable<Result<void>> S7Client::open_tcp(Deadline deadline) {
  const std::string target = options_.host + ":" + std::to_string(options_.port);
  std::optional<asio::ip::address> local;
  if (!options_.bind_address.empty()) {
    boost::system::error_code ec;
    local = asio::ip::make_address(options_.bind_address, ec);
    if (ec)
      co_return fail(ErrorCode::bind_failed,
                     "the automation-side bind address \"" + options_.bind_address + "\" is not an IP address");
  }
  // An IP address needs no resolver (whose lookup thread a timeout cannot interrupt).
  tcp::resolver resolver(socket_.get_executor());
  const auto flags = [&] {
    boost::system::error_code ec;
    asio::ip::make_address(options_.host, ec);
    return ec ? tcp::resolver::flags() : tcp::resolver::numeric_host;
  }();
  auto resolved = co_await before(resolver.async_resolve(options_.host, std::to_string(options_.port),
                                                         flags | tcp::resolver::numeric_service, kAsTuple),
                                  deadline);
  if (!resolved)
    co_return fail(ErrorCode::unreachable,
                   "cannot resolve " + options_.host + " within " + std::to_string(options_.timeout.count()) + " ms");
  auto [resolve_ec, endpoints] = std::move(*resolved);
  if (resolve_ec)
    co_return fail(ErrorCode::unreachable, "cannot resolve " + options_.host + ": " + resolve_ec.message());

  Error last_error =
      fail(ErrorCode::unreachable, "cannot connect to " + target + ": no address of " + options_.host + " to try");
  for (const auto& entry : endpoints) {
    const tcp::endpoint remote = entry.endpoint();
    if (local && local->is_v4() != remote.address().is_v4()) {
      last_error = fail(ErrorCode::bind_failed, "cannot connect to " + target + " from " + options_.bind_address +
                                                    ": the addresses are of different IP versions");
      continue;
    }
    boost::system::error_code ec;
    socket_.open(remote.protocol(), ec);
    if (ec) co_return fail(ErrorCode::unreachable, "cannot open a socket for " + target + ": " + ec.message());
    if (local) {
      socket_.bind(tcp::endpoint(*local, 0), ec);
      if (ec) {
        close();
        co_return fail(ErrorCode::bind_failed, "cannot bind the PLC connection to the automation-side address " +
                                                   options_.bind_address + ": " + ec.message() +
                                                   " (is it an address of this machine?)");
      }
    }
    auto connected = co_await before(socket_.async_connect(remote, kAsTuple), deadline);
    if (!connected) {
      close();
      co_return fail(ErrorCode::unreachable, "cannot connect to " + target + ": no answer within " +
                                                 std::to_string(options_.timeout.count()) + " ms");
    }
    if (auto [connect_ec] = *connected; connect_ec) {
      close();
      last_error = fail(ErrorCode::unreachable, "cannot connect to " + target + ": " + connect_ec.message());
      continue;
    }
    socket_.set_option(tcp::no_delay(true), ec);  // small requests, answered at once
    co_return Result<void>{};
  }
  co_return last_error;
}

asio::awaitable<Result<void>> S7Client::send(ByteView frame, Deadline deadline, std::string_view step) {
  auto written =
      co_await before(asio::async_write(socket_, asio::buffer(frame.data(), frame.size()), kAsTuple), deadline);
  if (!written)
    co_return close_with(fail(ErrorCode::timeout, "cannot send the " + std::string(step) + " within " +
                                                      std::to_string(options_.timeout.count()) + " ms"));
  if (auto [ec, size] = *written; ec) co_return close_with(describe_io_error(ec, step, false));
  co_return Result<void>{};
}

asio::awaitable<Result<Bytes>> S7Client::receive_frame(Deadline deadline, std::string_view step) {
  std::uint8_t header[kTpktHeaderSize];
  auto got_header = co_await before(asio::async_read(socket_, asio::buffer(header), kAsTuple), deadline);
  if (!got_header) co_return close_with(timeout_error(options_.timeout, step));
  if (auto [ec, size] = *got_header; ec) co_return close_with(describe_io_error(ec, step, size > 0));
  auto length = parse_tpkt_header(header, frame_limit_);
  if (!length) co_return close_with(length.error());
  Bytes payload(*length - kTpktHeaderSize);
  auto got_payload = co_await before(asio::async_read(socket_, asio::buffer(payload), kAsTuple), deadline);
  if (!got_payload) co_return close_with(timeout_error(options_.timeout, step));
  if (auto [ec, size] = *got_payload; ec) co_return close_with(describe_io_error(ec, step, true));
  co_return payload;
}

asio::awaitable<Result<Bytes>> S7Client::receive_pdu(Deadline deadline, std::string_view step) {
  // Each fragment adds at least one byte to a PDU the assembler bounds: the loop ends.
  for (;;) {
    auto frame = co_await receive_frame(deadline, step);
    if (!frame) co_return frame.error();
    auto complete = assembler_.add(*frame);
    if (!complete) co_return close_with(complete.error());
    if (*complete) {
      const ByteView pdu = assembler_.pdu();
      co_return Bytes(pdu.begin(), pdu.end());
    }
  }
}

asio::awaitable<Result<Session>> S7Client::connect(ConnectOptions options) {
  close();
  options_ = std::move(options);
  session_ = Session{};
  // Until the PLC names its PDU size, accept what we asked for.
  frame_limit_ = tpkt_length_limit(options_.pdu_size);
  assembler_ = PduAssembler(options_.pdu_size);
  const Deadline deadline = request_deadline();

  if (auto opened = co_await open_tcp(deadline); !opened) co_return opened.error();

  constexpr std::string_view kCotpStep = "COTP connection request";
  const Bytes request = build_connection_request(options_.tsaps);
  if (auto sent = co_await send(request, deadline, kCotpStep); !sent) co_return sent.error();
  auto confirm = co_await receive_frame(deadline, kCotpStep);
  if (!confirm) co_return confirm.error();
  if (auto confirmed = parse_connection_confirm(*confirm); !confirmed) co_return close_with(confirmed.error());

  constexpr std::string_view kSetupStep = "Setup Communication request";
  CommunicationSetup wanted;
  wanted.pdu_size = options_.pdu_size;
  wanted.max_amq_calling = options_.max_parallel_jobs;
  wanted.max_amq_called = options_.max_parallel_jobs;
  const std::uint16_t reference = next_reference();
  if (auto sent = co_await send(wrap_in_data_tpdu(build_setup_communication(reference, wanted)), deadline, kSetupStep);
      !sent)
    co_return sent.error();
  auto answer = co_await receive_pdu(deadline, kSetupStep);
  if (!answer) co_return answer.error();
  auto agreed = parse_setup_communication_response(*answer, reference);
  if (!agreed) co_return close_with(agreed.error());

  // The negotiated PDU size is the smaller of both (a PLC must not offer more than was asked).
  // It bounds every request and every answer: an answer longer than it is a fault, so a PLC
  // offering 65535 bytes cannot make the client buffer more than it asked for.
  session_.pdu_size = std::min(agreed->pdu_size, options_.pdu_size);
  session_.parallel_jobs = static_cast<std::uint16_t>(
      std::clamp<unsigned>(agreed->max_amq_calling, 1u, std::max<unsigned>(1u, options_.max_parallel_jobs)));
  frame_limit_ = tpkt_length_limit(session_.pdu_size);
  assembler_.set_limit(session_.pdu_size);
  if (session_.pdu_size < kSmallestStandardPduSize)
    spdlog::warn(
        "S7 PLC {}:{} negotiated a PDU size of {} bytes, below the {} every S7 CPU supports: reads take "
        "more round trips",
        options_.host, options_.port, session_.pdu_size, kSmallestStandardPduSize);
  co_return session_;
}

asio::awaitable<Result<std::vector<PduResult>>> S7Client::read(const ReadPlan& plan) {
  if (!is_open()) co_return fail(ErrorCode::closed, "not connected to the PLC");
  constexpr std::string_view kStep = "Read Var request";
  const std::size_t total = plan.pdus.size();
  std::vector<PduResult> results(total);
  struct InFlight {
    std::uint16_t reference;
    std::size_t pdu;
  };
  std::vector<InFlight> in_flight;
  std::size_t next = 0;
  // Each pass receives one answer or fails: at most `total` passes.
  for (std::size_t received = 0; received < total; ++received) {
    while (in_flight.size() < session_.parallel_jobs && next < total) {
      const auto& items = plan.pdus[next].items;
      if (items.empty() || items.size() > 255)
        co_return close_with(fail(ErrorCode::internal, "the read plan's PDU " + std::to_string(next + 1) + " holds " +
                                                           std::to_string(items.size()) + " items (1 to 255 allowed)"));
      const std::uint16_t reference = next_reference();
      const Bytes request = build_read_request(reference, items);
      if (request.size() > session_.pdu_size)
        co_return close_with(fail(ErrorCode::internal, "the read plan's PDU " + std::to_string(next + 1) + " needs " +
                                                           std::to_string(request.size()) +
                                                           " bytes, more than the negotiated PDU size of " +
                                                           std::to_string(session_.pdu_size)));
      if (auto sent = co_await send(wrap_in_data_tpdu(request), request_deadline(), kStep); !sent)
        co_return sent.error();
      in_flight.push_back({reference, next});
      ++next;
    }
    auto answer = co_await receive_pdu(request_deadline(), kStep);
    if (!answer) co_return answer.error();
    const std::int64_t arrived_ms = clock_.now_ms();
    auto message = parse_s7_message(*answer);
    if (!message) co_return close_with(message.error());
    const auto match = std::find_if(in_flight.begin(), in_flight.end(), [&](const InFlight& request) {
      return request.reference == message->pdu_reference;
    });
    if (match == in_flight.end())
      co_return close_with(fail(ErrorCode::bad_response, "the PLC answered with PDU reference " +
                                                             std::to_string(message->pdu_reference) +
                                                             ", which matches no Read Var request in flight"));
    const std::size_t index = match->pdu;
    auto readings = parse_read_response(*answer, match->reference, plan.pdus[index].items);
    if (!readings) co_return close_with(readings.error());
    in_flight.erase(match);
    PduResult& result = results[index];
    result.arrived_ms = arrived_ms;
    result.items.reserve(readings->size());
    for (const ItemReading& reading : *readings)
      result.items.push_back({reading.return_code, Bytes(reading.data.begin(), reading.data.end())});
  }
  co_return results;
}

asio::awaitable<Result<std::uint8_t>> S7Client::write(const Address& address, Bytes value) {
  if (!is_open()) co_return fail(ErrorCode::closed, "not connected to the PLC");
  constexpr std::string_view kStep = "Write Var request";
  const std::uint16_t reference = next_reference();
  const Bytes request = build_write_request(reference, address, value);
  // Not a fault of the connection: the value is too long for one request of this PDU size.
  if (request.size() > session_.pdu_size)
    co_return fail(ErrorCode::not_supported,
                   "the value's " + std::to_string(value.size()) + " bytes do not fit one Write Var request of the " +
                       "negotiated PDU size of " + std::to_string(session_.pdu_size) + " bytes");
  const Deadline deadline = request_deadline();
  if (auto sent = co_await send(wrap_in_data_tpdu(request), deadline, kStep); !sent) co_return sent.error();
  auto answer = co_await receive_pdu(deadline, kStep);
  if (!answer) co_return answer.error();
  auto return_code = parse_write_response(*answer, reference);
  if (!return_code) co_return close_with(return_code.error());
  co_return *return_code;
}

#pragma GCC diagnostic pop

}  // namespace logbot::agent::s7
