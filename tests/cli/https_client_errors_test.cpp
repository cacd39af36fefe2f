// The codes of the HTTPS client's errors (common/net/error.hpp) for what fails before or at the
// connection, without a server: callers branch on these, never on the message.
#include <gtest/gtest.h>

#include <string>

#include "common/net/https_client.hpp"
#include "common/net/url_and_cookie.hpp"

namespace logbot::net {
namespace {

TEST(HttpsClientErrors, AMalformedServerUrlIsBadUrl) {
  for (const char* text : {"http://h:1", "https://", "https://h:1/path", "https://h:0", "https://h_x:1"}) {
    const auto url = parse_server_url(text);
    ASSERT_FALSE(url) << text;
    EXPECT_EQ(url.error().code, ErrorCode::bad_url) << text;
  }
  ClientOptions options;
  options.url = "ftp://h";
  const auto client = HttpsClient::create(options);
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, ErrorCode::bad_url);
  EXPECT_EQ(client.error().message, "the server URL must start with https:// (got 'ftp://h')");
}

TEST(HttpsClientErrors, APinBesideACaFileIsBadInput) {
  ClientOptions options;
  options.url = "https://127.0.0.1:1";
  options.ca_file = "/nonexistent/ca.pem";
  options.pinned_fingerprint = std::string(64, 'a');
  const auto client = HttpsClient::create(options);
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, ErrorCode::bad_input);
}

TEST(HttpsClientErrors, AnUnreadableCaFileOrAMalformedPinIsTlsFailed) {
  ClientOptions options;
  options.url = "https://127.0.0.1:1";
  options.ca_file = "/nonexistent/ca.pem";
  auto client = HttpsClient::create(options);
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, ErrorCode::tls_failed) << client.error().message;
  options.ca_file.clear();
  options.pinned_fingerprint = "not hex";
  client = HttpsClient::create(options);
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, ErrorCode::tls_failed) << client.error().message;
}

TEST(HttpsClientErrors, ARefusedConnectionIsUnreachable) {
  ClientOptions options;
  options.url = "https://127.0.0.1:1";  // nothing listens on port 1
  options.pinned_fingerprint = std::string(64, 'a');
  auto client = HttpsClient::create(options);
  ASSERT_TRUE(client) << client.error().message;
  const auto answer = client->get("/api/v1/health");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::unreachable) << answer.error().message;
  EXPECT_EQ(answer.error().message,
            "cannot connect to https://127.0.0.1:1: connection refused (is the server running, is the port right?)");
}

}  // namespace
}  // namespace logbot::net
