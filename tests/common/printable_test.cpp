#include "common/printable.hpp"

#include <gtest/gtest.h>

#include <string>

namespace logbot {
namespace {

TEST(Printable, KeepsPrintableAsciiAndUtf8) {
  EXPECT_EQ(printable("PLC 'Presse 1' answered"), "PLC 'Presse 1' answered");
  EXPECT_EQ(printable("M\xC3\xBCller \xE2\x82\xAC \xF0\x9F\x94\xA7"), "M\xC3\xBCller \xE2\x82\xAC \xF0\x9F\x94\xA7");
  EXPECT_EQ(printable("\xC2\xA0nbsp"), "\xC2\xA0nbsp");  // U+00A0 is the first character after C1
}

TEST(Printable, MasksC0AndDel) {
  EXPECT_EQ(printable("a\x1b[31mred\r\nb\x7f"
                      "c"),
            "a?[31mred??b?c");
  EXPECT_EQ(printable(std::string("nul\0here", 8)), "nul?here");
  EXPECT_EQ(printable("\ttab"), "?tab");
}

TEST(Printable, MasksC1AsOneCharacter) {
  // CSI (U+009B) would start an escape sequence on many terminals.
  EXPECT_EQ(printable("x\xC2\x9B"
                      "31my"),
            "x?31my");
  EXPECT_EQ(printable("\xC2\x80\xC2\x9F"), "??");
}

TEST(Printable, MasksEveryByteOfInvalidUtf8) {
  EXPECT_EQ(printable("\x9B"
                      "31m"),
            "?31m");                                 // a raw Latin-1 CSI byte
  EXPECT_EQ(printable("\xC3"), "?");                 // truncated at the end
  EXPECT_EQ(printable("\xC3(x"), "?(x");             // truncated before ASCII
  EXPECT_EQ(printable("\xC0\xAF"), "??");            // overlong '/'
  EXPECT_EQ(printable("\xE0\x80\xAF"), "???");       // overlong, three bytes
  EXPECT_EQ(printable("\xED\xA0\x80"), "???");       // a UTF-16 surrogate
  EXPECT_EQ(printable("\xF4\x90\x80\x80"), "????");  // beyond U+10FFFF
  EXPECT_EQ(printable("\xFF\xFE"), "??");
  EXPECT_EQ(printable("\xE2\x82"), "??");  // a euro sign cut short
}

TEST(Printable, IsBoundedAtACharacterBoundary) {
  EXPECT_EQ(printable("abcdef", 3), "abc");
  EXPECT_EQ(printable("ab\xC3\xBC", 3), "ab");  // never half a character
  EXPECT_EQ(printable("ab\xC3\xBC", 4), "ab\xC3\xBC");
  EXPECT_EQ(printable(std::string(kPrintableLimit + 10, 'x')).size(), kPrintableLimit);
  EXPECT_EQ(printable("", 0), "");
}

}  // namespace
}  // namespace logbot
