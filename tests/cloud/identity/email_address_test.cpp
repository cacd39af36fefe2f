#include "cloud/identity/email_address.hpp"

#include <gtest/gtest.h>

#include "cloud/identity/user_store.hpp"

namespace logbot::cloud {
namespace {

TEST(EmailAddress, AcceptsPlainAsciiAddressesAndPunycodeDomains) {
  for (const char* good : {"alice@example.com", "Alice.Smith+logbot@mail.example.co.uk", "a@b", "ops@xn--mnchen-3ya.de",
                           "x_y-z@sub-domain.example", "  bob@example.com\t"})
    EXPECT_FALSE(email_address_problem(good)) << good << ": " << email_address_problem(good).value_or("");
  EXPECT_EQ(normalize_email("  Alice@Example.COM "), "alice@example.com");
}

// Look-alikes: Cyrillic 'а' (U+0430) for Latin 'a', a zero-width space, a right-to-left mark.
TEST(EmailAddress, RefusesNonAsciiAndNamesTheCharacter) {
  const auto cyrillic = email_address_problem("\xD0\xB0lice@example.com");
  ASSERT_TRUE(cyrillic);
  EXPECT_NE(cyrillic->find("U+0430"), std::string::npos) << *cyrillic;
  EXPECT_NE(cyrillic->find("xn--"), std::string::npos) << *cyrillic;
  const auto umlaut_domain = email_address_problem("ops@m\xC3\xBCnchen.de");
  ASSERT_TRUE(umlaut_domain);
  EXPECT_NE(umlaut_domain->find("U+00FC"), std::string::npos) << *umlaut_domain;
  EXPECT_FALSE(normalize_email("\xD0\xB0lice@example.com"));
}

TEST(EmailAddress, RefusesInvisibleAndControlCharacters) {
  for (const char* invisible : {"al\xE2\x80\x8B"
                                "ice@example.com",                // U+200B zero-width space
                                "alice@exa\xE2\x80\x8Dmple.com",  // U+200D zero-width joiner
                                "\xEF\xBB\xBF"
                                "alice@example.com",              // U+FEFF byte-order mark
                                "alice@example.com\xE2\x80\x8F",  // U+200F right-to-left mark
                                "ali\xC2\xAD"
                                "ce@example.com",                    // U+00AD soft hyphen
                                "alice@example\xE2\x81\xA0.com"}) {  // U+2060 word joiner
    const auto problem = email_address_problem(invisible);
    ASSERT_TRUE(problem) << invisible;
    EXPECT_NE(problem->find("invisible"), std::string::npos) << *problem;
    EXPECT_FALSE(normalize_email(invisible));
  }
  for (const char* control : {"ali\nce@example.com", "alice@exam\x7Fple.com", "ali\tce@example.com"}) {
    const auto problem = email_address_problem(control);
    ASSERT_TRUE(problem) << control;
    EXPECT_NE(problem->find("control"), std::string::npos) << *problem;
  }
  EXPECT_TRUE(email_address_problem("alice@example.com\xE2\x80"));  // truncated UTF-8
  EXPECT_TRUE(email_address_problem("alice@example.com\xFF"));
}

TEST(EmailAddress, RefusesMalformedAddresses) {
  for (const char* bad :
       {"", "alice", "@example.com", "alice@", "a@b@c", "al ice@example.com", "a<b>@example.com", "alice@exa_mple.com",
        "alice@example..com", "alice@.example.com", "alice@example.com.", "alice@-example.com", "alice@[127.0.0.1]"})
    EXPECT_TRUE(email_address_problem(bad)) << '"' << bad << '"';
  EXPECT_TRUE(email_address_problem(std::string(65, 'a') + "@example.com"));
}

TEST(EmailAddress, RefusalQuotesTheAddressAndSaysWhy) {
  const std::string message = email_refusal(
      "al\xE2\x80\x8B"
      "ice@example.com");
  EXPECT_NE(message.find("U+200B"), std::string::npos) << message;
  EXPECT_NE(message.find("not an e-mail address"), std::string::npos) << message;
}

}  // namespace
}  // namespace logbot::cloud
