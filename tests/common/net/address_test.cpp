#include "common/net/address.hpp"

#include <gtest/gtest.h>

namespace logbot {
namespace {

TEST(Address, ParsesHostPort) {
  auto v4 = net::parse_host_port("127.0.0.1:8443");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8443);
  auto v6 = net::parse_host_port("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  for (const char* bad : {"", "host", "host:", ":80", "1.2.3.4:65536", "::1:80", "[::1]80", "h:8x"})
    EXPECT_FALSE(net::parse_host_port(bad)) << bad;
}

TEST(Address, RecognisesLoopback) {
  EXPECT_TRUE(net::is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(net::is_loopback_address("127.8.9.10"));
  EXPECT_TRUE(net::is_loopback_address("::1"));
  EXPECT_TRUE(net::is_loopback_address("::ffff:127.0.0.1"));
  EXPECT_FALSE(net::is_loopback_address("10.0.0.1"));
  EXPECT_FALSE(net::is_loopback_address("::ffff:10.0.0.1"));
  EXPECT_FALSE(net::is_loopback_address("1270.0.0.1"));
}

}  // namespace
}  // namespace logbot
