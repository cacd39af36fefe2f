// Timeouts for coroutines (Boost 1.81 has no cancel_after): an operation raced against a
// steady_timer, and the "10.0 s" form the logs use. For the few coroutine files of the two
// uplink ends (it pulls in Asio's awaitable operators).
#pragma once
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <tuple>

namespace logbot {

inline constexpr auto kAsTuple = boost::asio::as_tuple(boost::asio::use_awaitable);

// Races an operation against a timer; nullopt when the timer won (the operation is cancelled).
template <class... Results>
boost::asio::awaitable<std::optional<std::tuple<Results...>>> within(
    boost::asio::awaitable<std::tuple<Results...>> operation, std::chrono::milliseconds limit) {
  using namespace boost::asio::experimental::awaitable_operators;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, limit);
  auto outcome = co_await (std::move(operation) || timer.async_wait(kAsTuple));
  if (outcome.index() == 0) co_return std::get<0>(std::move(outcome));
  co_return std::nullopt;
}

inline std::string seconds_text(std::chrono::milliseconds duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(duration.count()) / 1000.0);
  return text;
}

}  // namespace logbot
