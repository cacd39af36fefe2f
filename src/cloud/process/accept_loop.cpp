#include "cloud/process/accept_loop.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>

namespace logbot::cloud::process {

namespace asio = boost::asio;

// GCC 12 reports -Wmismatched-new-delete inside Asio's awaitable frame allocator (a known false
// positive, as in https_client.cpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

asio::awaitable<void> accept_connections(asio::ip::tcp::acceptor& acceptor, asio::io_context& io, ServeConnection serve,
                                         std::string what) {
  constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(kUseTuple);
    if (error == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (error) {
      // Out of descriptors and similar: log, breathe, go on.
      spdlog::warn("{}: accept failed: {}", what, error.message());
      asio::steady_timer pause(io, std::chrono::milliseconds(100));
      co_await pause.async_wait(kUseTuple);
      continue;
    }
    asio::co_spawn(io, serve(std::move(socket)), [what](const std::exception_ptr& failure) {
      if (!failure) return;
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        spdlog::error("{} ended by an internal error: {}", what, e.what());
      }
    });
  }
}

#pragma GCC diagnostic pop

}  // namespace logbot::cloud::process
