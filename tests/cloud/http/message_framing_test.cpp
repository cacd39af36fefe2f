#include "cloud/http/message_framing.hpp"

#include <gtest/gtest.h>

namespace logbot::cloud::http {
namespace {

FramingFields with_transfer_encoding(std::vector<std::string_view> values) {
  FramingFields fields;
  fields.transfer_encoding = std::move(values);
  return fields;
}

FramingFields with_content_length(std::vector<std::string_view> values) {
  FramingFields fields;
  fields.content_length = std::move(values);
  return fields;
}

TEST(MessageFraming, AcceptsNoBodyOneContentLengthAndExactlyChunked) {
  EXPECT_FALSE(framing_refusal(FramingFields{}));
  EXPECT_FALSE(framing_refusal(with_content_length({"0"})));
  EXPECT_FALSE(framing_refusal(with_content_length({"1024"})));
  for (std::string_view chunked : {"chunked", "Chunked", "CHUNKED", " chunked\t"})
    EXPECT_FALSE(framing_refusal(with_transfer_encoding({chunked}))) << chunked;
}

// The reviewer's smuggling cases: each was read as "no body", so the bytes after the header
// were taken for a second request.
TEST(MessageFraming, RefusesEveryTransferEncodingButChunkedAlone) {
  for (std::string_view value : {"xchunked", "chunkedx", "chunked, identity", "identity", "gzip", "gzip, chunked",
                                 "chunked, chunked", "chunked,", ",chunked", "", "chunked;q=1", "chun ked"})
    EXPECT_TRUE(framing_refusal(with_transfer_encoding({value}))) << '"' << value << '"';
  // Two field lines are one list: "gzip" then "chunked" is "gzip, chunked".
  EXPECT_TRUE(framing_refusal(with_transfer_encoding({"gzip", "chunked"})));
  EXPECT_TRUE(framing_refusal(with_transfer_encoding({"chunked", "chunked"})));
}

TEST(MessageFraming, RefusesTransferEncodingWithContentLength) {
  FramingFields fields = with_transfer_encoding({"chunked"});
  fields.content_length = {"5"};
  EXPECT_TRUE(framing_refusal(fields));
  fields.transfer_encoding = {"xchunked"};
  EXPECT_TRUE(framing_refusal(fields));
}

TEST(MessageFraming, RefusesTransferEncodingInHttp10) {
  FramingFields fields = with_transfer_encoding({"chunked"});
  fields.version = 10;
  EXPECT_TRUE(framing_refusal(fields));
}

TEST(MessageFraming, RefusesDuplicateOrMalformedContentLength) {
  EXPECT_TRUE(framing_refusal(with_content_length({"5", "5"})));
  EXPECT_TRUE(framing_refusal(with_content_length({"5", "6"})));
  for (std::string_view value : {"5, 5", "5,6", "", "-1", "+5", "0x10", "1e3", "5 5", "99999999999999999999"})
    EXPECT_TRUE(framing_refusal(with_content_length({value}))) << '"' << value << '"';
}

TEST(MessageFraming, RefusalSaysWhatToDo) {
  const auto refusal = framing_refusal(with_transfer_encoding({"gzip"}));
  ASSERT_TRUE(refusal);
  EXPECT_NE(refusal->find("chunked"), std::string::npos) << *refusal;
}

}  // namespace
}  // namespace logbot::cloud::http
