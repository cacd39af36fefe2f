#include "tests/support/scripted_peer.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <utility>

namespace logbot::agent::s7::support {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Step receive() {
  return {Step::Kind::receive, {}, {}};
}
Step send(Bytes bytes) {
  return {Step::Kind::send, std::move(bytes), {}};
}
Step close_connection() {
  return {Step::Kind::close, {}, {}};
}
Step answer(std::function<Bytes(const Bytes&)> respond) {
  return {Step::Kind::answer, {}, std::move(respond)};
}

namespace {

// One whole TPKT frame, its length taken from the header.
asio::awaitable<Bytes> read_frame(tcp::socket& socket) {
  Bytes frame(4);
  co_await asio::async_read(socket, asio::buffer(frame), asio::use_awaitable);
  Bytes rest(static_cast<std::size_t>((frame[2] << 8) | frame[3]) - 4);
  co_await asio::async_read(socket, asio::buffer(rest), asio::use_awaitable);
  frame.insert(frame.end(), rest.begin(), rest.end());
  co_return frame;
}

}  // namespace

ScriptedPeer::ScriptedPeer(std::vector<Step> script)
    : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), script_(std::move(script)) {
  asio::co_spawn(io_, serve(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

ScriptedPeer::~ScriptedPeer() {
  finish();
}

std::uint16_t ScriptedPeer::port() const {
  return acceptor_.local_endpoint().port();
}

void ScriptedPeer::finish() {
  if (!thread_.joinable()) return;
  io_.stop();
  thread_.join();
}

asio::awaitable<void> ScriptedPeer::serve() {
  tcp::socket socket = co_await acceptor_.async_accept(asio::use_awaitable);
  client_address_ = socket.remote_endpoint().address().to_string();
  for (const Step& step : script_) {
    switch (step.kind) {
      case Step::Kind::receive: received_.push_back(co_await read_frame(socket)); break;
      case Step::Kind::send: co_await asio::async_write(socket, asio::buffer(step.bytes), asio::use_awaitable); break;
      case Step::Kind::close: socket.close(); co_return;
      case Step::Kind::answer: {
        received_.push_back(co_await read_frame(socket));
        const Bytes reply = step.respond(received_.back());
        co_await asio::async_write(socket, asio::buffer(reply), asio::use_awaitable);
        break;
      }
    }
  }
  std::uint8_t sink[256];
  for (;;) co_await socket.async_read_some(asio::buffer(sink), asio::use_awaitable);  // ends with the client
}

}  // namespace logbot::agent::s7::support
