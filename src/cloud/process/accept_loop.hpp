// The accept loop both cloud listeners run (HTTPS, devices; the tunnel relay next): every
// accepted socket becomes a coroutine of its own on the I/O thread; a failed accept (out of
// descriptors, say) is logged and retried after a short pause; the loop ends when the acceptor
// is closed. A connection coroutine that throws is logged as `what` ended by an internal error,
// and ends alone.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <string>

namespace boost::asio {
class io_context;
}

namespace logbot::cloud::process {

using ServeConnection = std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket)>;

boost::asio::awaitable<void> accept_connections(boost::asio::ip::tcp::acceptor& acceptor, boost::asio::io_context& io,
                                                ServeConnection serve, std::string what);

}  // namespace logbot::cloud::process
