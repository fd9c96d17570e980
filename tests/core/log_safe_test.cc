// core/log_safe.h: untrusted bytes reach a log line as printable ASCII only, bounded, and
// decodable back to the original.
#include "core/log_safe.h"

#include <gtest/gtest.h>

#include <string>

namespace sd {
namespace {

// Decodes LogSafe's escapes (no marker): the inverse a reader of the log applies.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x') {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 2, 2)), nullptr, 16));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool PrintableAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) return false;
  }
  return true;
}

TEST(LogSafeTest, EveryByteValue) {
  for (int b = 0; b < 256; ++b) {
    const std::string in(1, static_cast<char>(b));
    const std::string out = LogSafe(in);
    const bool plain = b >= 0x20 && b <= 0x7E && b != '\\' && b != '"';
    if (plain) {
      EXPECT_EQ(out, in) << b;
    } else {
      char want[5];
      std::snprintf(want, sizeof want, "\\x%02X", b);
      EXPECT_EQ(out, want) << b;
    }
    EXPECT_TRUE(PrintableAscii(out)) << b;
    EXPECT_EQ(Unescape(out), in) << b;
  }
}

TEST(LogSafeTest, ForgedJournaldLineStaysOnOneLine) {
  const std::string kid = "e\n<2>FORGED unit started\r\x1b[31mred\x1b[0m\t\"q\"\\";
  const std::string out = LogSafe(kid);
  EXPECT_EQ(out, "e\\x0A<2>FORGED unit started\\x0D\\x1B[31mred\\x1B[0m\\x09\\x22q\\x22\\x5C");
  EXPECT_EQ(out.find('\n'), std::string::npos);
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  EXPECT_EQ(Unescape(out), kid);
}

TEST(LogSafeTest, NonAsciiIsEscapedValidOrNot) {
  EXPECT_EQ(LogSafe("M\xC3\xBCller"), "M\\xC3\\xBCller");  // valid UTF-8
  EXPECT_EQ(LogSafe("\xE2\x80\xAE"
                    "abc"),
            "\\xE2\\x80\\xAEabc");                                 // U+202E bidi override
  EXPECT_EQ(LogSafe("\xC0\xAF\xFF\xFE"), "\\xC0\\xAF\\xFF\\xFE");  // overlong, invalid
  EXPECT_EQ(LogSafe("\xC2\x85"), "\\xC2\\x85");                    // U+0085 NEL, a C1 newline
  EXPECT_EQ(LogSafe(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(LogSafe(""), "");
}

TEST(LogSafeTest, OversizedIsCutWithTheOriginalLength) {
  EXPECT_EQ(LogSafe(std::string(kLogFieldMax, 'a')), std::string(kLogFieldMax, 'a'));
  EXPECT_EQ(LogSafe(std::string(5000, 'a')), std::string(kLogFieldMax, 'a') + "...(5000 bytes)");
  EXPECT_EQ(LogSafe("abcdef", 3), "abc...(6 bytes)");
  // An escape is never cut: 9 escaped bytes do not fit 4 + 4 + 1.
  EXPECT_EQ(LogSafe("\n\n\n", 9), "\\x0A\\x0A...(3 bytes)");
  EXPECT_EQ(LogSafe("a\n", 4), "a...(2 bytes)");
  for (size_t max : {0, 1, 3, 4, 5, 64, 128}) {
    const std::string out = LogSafe(std::string(100'000, '\n'), max);
    EXPECT_LE(out.size(), max + 31) << max;
    EXPECT_TRUE(PrintableAscii(out)) << max;
  }
}

TEST(LogSafeTest, AppendEscapedReportsHowMuchItWrote) {
  std::string out = "x=";
  EXPECT_EQ(AppendEscaped(out, "ab\x01", 100), 3u);
  EXPECT_EQ(out, "x=ab\\x01");
  out.clear();
  EXPECT_EQ(AppendEscaped(out, "ab\x01", 5), 2u);
  EXPECT_EQ(out, "ab");
}

}  // namespace
}  // namespace sd
