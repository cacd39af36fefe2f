// The uplink's socket stack (WebSocket over TLS over TCP) and what owns it. Included only by
// the uplink's own coroutine files (dialer, session, client): Beast stays out of every other
// translation unit (ADR 0005).
#pragma once
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <memory>

namespace logbot::agent::uplink {

using UplinkStream = boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

// One upgraded connection: the stream and the TLS context it was made with (which must
// outlive it; both stay where they are while the connection moves).
struct Connection {
  std::unique_ptr<boost::asio::ssl::context> tls;
  std::unique_ptr<UplinkStream> stream;
};

}  // namespace logbot::agent::uplink
