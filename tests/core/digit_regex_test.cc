#include "core/digit_regex.h"

#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <string>
#include <vector>

namespace sd {
namespace {

std::string RandomDigits(std::mt19937_64& rng, size_t max_len) {
  std::string s(rng() % (max_len + 1), '0');
  for (char& c : s) c = static_cast<char>('0' + rng() % 10);
  return s;
}

// Patterns of the shapes numbering-plan metadata uses, checked against std::regex (an
// independent engine) on random digit strings, in both matching modes.
TEST(DigitRegex, AgreesWithStdRegex) {
  const std::vector<std::string> patterns = {
      "1(?:5[0-25-9]\\d{8}|6[023]\\d{7,8}|7\\d{8})",
      "[2-9]\\d{9}",
      "(?:2[0-8]|3[1-9])\\d{6}|7\\d?",
      "0|([59]\\d{7})",
      "[^0]\\d{2,}",
      "(?:(?:1|2)3)+4*5?",
      "8(?:00|66|77|88)\\d{7}",
      "",
      "\\d{0,3}",
      "[1-35-9]\\d{4,6}|4[01]",
  };
  std::mt19937_64 rng(7);
  for (const std::string& p : patterns) {
    const std::regex oracle(p.empty() ? "(?:)" : p);
    for (bool prefix : {false, true}) {
      const DigitPattern pattern{p, 1, prefix};
      auto dfa = CompileDigitPatterns({&pattern, 1}, 100000);
      ASSERT_TRUE(dfa.ok()) << p << ": " << dfa.error().detail;
      int matched = 0;
      for (int i = 0; i < 20000; ++i) {
        std::string s = RandomDigits(rng, 12);
        if (i % 2 == 0 && !p.empty()) s = (p[0] >= '0' && p[0] <= '9' ? std::string(1, p[0]) : "") + s;
        const bool want = prefix ? std::regex_search(s, oracle, std::regex_constants::match_continuous)
                                 : std::regex_match(s, oracle);
        EXPECT_EQ(dfa->Run(s) == 1, want) << p << (prefix ? " (prefix) " : " ") << s;
        matched += want;
      }
      if (!p.empty()) {
        EXPECT_GT(matched, 0) << p;  // the sample reaches the pattern
      }
    }
  }
}

TEST(DigitRegex, TagsOfEveryMatchingPattern) {
  const std::vector<DigitPattern> patterns = {
      {"\\d{4}", 1, false}, {"12\\d{2}", 2, false}, {"9", 4, true}, {"1", 8, true}};
  auto dfa = CompileDigitPatterns(patterns, 1000);
  ASSERT_TRUE(dfa.ok());
  EXPECT_EQ(dfa->Run("1234"), 1u | 2u | 8u);
  EXPECT_EQ(dfa->Run("9876"), 1u | 4u);
  EXPECT_EQ(dfa->Run("98765"), 4u);
  EXPECT_EQ(dfa->Run("5"), 0u);
  EXPECT_EQ(dfa->Run(""), 0u);
}

// An end anchor closes a top-level alternative of a prefix pattern: that alternative must match
// the whole input (libphonenumber's national prefixes use this form).
TEST(DigitRegex, EndAnchorInPrefixPattern) {
  const DigitPattern p{"1|([457]\\d{2})$", 1, true};
  auto dfa = CompileDigitPatterns({&p, 1}, 1000);
  ASSERT_TRUE(dfa.ok()) << dfa.error().detail;
  EXPECT_EQ(dfa->Run("1999"), 1u);
  EXPECT_EQ(dfa->Run("456"), 1u);
  EXPECT_EQ(dfa->Run("4567"), 0u);
  EXPECT_EQ(dfa->Run("356"), 0u);
  const DigitPattern inside{"(?:1$|2)3", 1, true};
  EXPECT_FALSE(CompileDigitPatterns({&inside, 1}, 1000).ok());
}

// Syntax the compiler does not model is an error naming the pattern, never a guess.
TEST(DigitRegex, RefusesWhatItDoesNotModel) {
  for (const char* bad : {"a", "\\s", "(?=1)2", "(?i)1", "1{3", "1{4,2}", "1{99}", "[a-z]",
                          "[1-", "(12", "12)", "\\1", "1*?", "1++", "^1", "."}) {
    const DigitPattern p{bad, 1, false};
    auto dfa = CompileDigitPatterns({&p, 1}, 1000);
    ASSERT_FALSE(dfa.ok()) << bad;
    EXPECT_NE(dfa.error().detail.find(bad), std::string::npos) << dfa.error().detail;
  }
}

TEST(DigitRegex, StateLimit) {
  // (any digit){16} with a 1 somewhere in a fixed place: many states; a tiny bound refuses it.
  const DigitPattern p{"\\d{3}1\\d{3}|\\d{2}2\\d{4}|\\d3\\d{5}", 1, false};
  EXPECT_FALSE(CompileDigitPatterns({&p, 1}, 4).ok());
  EXPECT_TRUE(CompileDigitPatterns({&p, 1}, 10000).ok());
}

}  // namespace
}  // namespace sd
