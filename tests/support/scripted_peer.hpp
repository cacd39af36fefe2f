// A hostile S7 responder for unit tests: a loopback TCP peer (127.0.0.1, ephemeral port, its
// own thread) that accepts one connection and plays a script of TPKT frames: receive one
// (recorded), send bytes (correct, truncated, oversized or inconsistent), answer a received
// frame with a function of it, or close in the middle of an exchange.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "agent/s7/s7_pdu.hpp"

namespace logbot::agent::s7::support {

// One step of the script: receive one TPKT frame (recorded), send bytes, close, or answer a
// received frame with a function of it.
struct Step {
  enum class Kind { receive, send, close, answer } kind;
  Bytes bytes;
  std::function<Bytes(const Bytes&)> respond;
};
Step receive();
Step send(Bytes bytes);
Step close_connection();
Step answer(std::function<Bytes(const Bytes&)> respond);

// Accepts one connection on 127.0.0.1 (ephemeral port) and plays its script; afterwards it
// holds the connection open, silent, until the client closes it.
class ScriptedPeer {
 public:
  explicit ScriptedPeer(std::vector<Step> script);
  ~ScriptedPeer();
  ScriptedPeer(const ScriptedPeer&) = delete;
  ScriptedPeer& operator=(const ScriptedPeer&) = delete;

  std::uint16_t port() const;
  // Stops the peer; afterwards received() and client_address() are safe to read.
  void finish();
  const std::vector<Bytes>& received() const { return received_; }
  const std::string& client_address() const { return client_address_; }

 private:
  boost::asio::awaitable<void> serve();

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<Step> script_;
  std::vector<Bytes> received_;
  std::string client_address_;
  std::thread thread_;
};

}  // namespace logbot::agent::s7::support
