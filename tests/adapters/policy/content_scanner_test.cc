#include "adapters/policy/content_scanner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"

namespace sd {
namespace {

using testing::TempDir;
using testing::WriteTextFile;

constexpr const char* kRules = R"(
[[rule]]
id = "crypto"
action = "reject"
keywords = ["free bitcoin", "Бесплатно"]

[[rule]]
id = "suspended"
action = "flag"
keywords = ["account suspended"]

[[rule]]
id = "card"
action = "reject"
regex = '\b\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}\b'

[[rule]]
id = "dot.star"
action = "flag"
keywords = ["a.c"]

[urls]
deny = ["evil.example"]
allow = ["example.com"]
shorteners = ["bit.ly"]
shortener_policy = "reject"

[lookalike]
protected = ["paypal.com"]
)";

std::unique_ptr<HyperscanContentScanner> Build(const std::string& text) {
  auto rules = ParseContentRules(text, "rules.toml");
  if (auto* e = std::get_if<RulesError>(&rules)) {
    ADD_FAILURE() << e->ToString();
    return nullptr;
  }
  auto built =
      HyperscanContentScanner::Build(std::get<ContentRules>(std::move(rules)), "rules.toml");
  if (auto* e = std::get_if<RulesError>(&built)) {
    ADD_FAILURE() << e->ToString();
    return nullptr;
  }
  return std::move(std::get<std::unique_ptr<HyperscanContentScanner>>(built));
}

RulesError BuildError(const std::string& text) {
  auto rules = ParseContentRules(text, "rules.toml");
  if (auto* e = std::get_if<RulesError>(&rules)) return *e;
  auto built =
      HyperscanContentScanner::Build(std::get<ContentRules>(std::move(rules)), "rules.toml");
  if (auto* e = std::get_if<RulesError>(&built)) return *e;
  ADD_FAILURE() << "expected an error";
  return {};
}

Reason ReasonOf(const Result<ScanReport>& r) { return r.ok() ? Reason::kNone : r.error().reason; }

const UrlScope kAnyUrl{};

TEST(ContentScanner, CleanTextPasses) {
  auto s = Build(kRules);
  ASSERT_TRUE(s);
  auto r = s->Scan("Your code is 123456", kAnyUrl);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->flagged.empty());
  EXPECT_EQ(r->urls, 0u);
}

TEST(ContentScanner, EachReasonIsReachable) {
  auto s = Build(kRules);
  ASSERT_TRUE(s);
  auto r = s->Scan("Get FREE Bitcoin now", kAnyUrl);
  EXPECT_EQ(ReasonOf(r), Reason::kBlockedContent);
  EXPECT_EQ(r.error().detail, "crypto");
  EXPECT_EQ(ReasonOf(s->Scan("бесплатно!", kAnyUrl)), Reason::kBlockedContent);
  r = s->Scan("card 4111 1111 1111 1111 ok", kAnyUrl);
  EXPECT_EQ(r.error().detail, "card");
  EXPECT_EQ(ReasonOf(s->Scan("see example.com/x", UrlScope{UrlScope::Mode::kNone, {}})),
            Reason::kUrlNotAllowed);
  EXPECT_EQ(ReasonOf(s->Scan("go to www.evil.example now", kAnyUrl)), Reason::kUrlNotAllowed);
  EXPECT_EQ(
      ReasonOf(s->Scan("go to other.org/x", UrlScope{UrlScope::Mode::kAllowlist, {"example.com"}})),
      Reason::kUrlNotAllowed);
  EXPECT_EQ(ReasonOf(s->Scan("tap bit.ly/abc", kAnyUrl)), Reason::kShortenerNotAllowed);
  EXPECT_EQ(ReasonOf(s->Scan("login at pаypal.com/secure", kAnyUrl)), Reason::kLookalikeDomain);
  EXPECT_EQ(ReasonOf(s->Scan("login at https://xn--pypal-4ve.com", kAnyUrl)),
            Reason::kLookalikeDomain);
  EXPECT_EQ(ReasonOf(s->Scan("login at paypa1.com", kAnyUrl)), Reason::kLookalikeDomain);
  // U+0251 LATIN SMALL LETTER ALPHA (IPA Extensions) used to end the host at "p".
  EXPECT_EQ(ReasonOf(s->Scan("https://p\u0251ypal.com/login", kAnyUrl)),
            Reason::kLookalikeDomain);
  EXPECT_EQ(
      ReasonOf(s->Scan(std::string(HyperscanContentScanner::kMaxTextBytes + 1, 'a'), kAnyUrl)),
      Reason::kTooLarge);
  EXPECT_EQ(ReasonOf(s->Scan("bad \xff utf8", kAnyUrl)), Reason::kInvalidText);
}

TEST(ContentScanner, FlagsPassAndAreCounted) {
  auto s = Build(kRules);
  ASSERT_TRUE(s);
  auto r = s->Scan("Your ACCOUNT SUSPENDED, call us", kAnyUrl);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->flagged, std::vector<std::string>{"suspended"});
  (void)s->Scan("account suspended account suspended", kAnyUrl);  // one match per scan
  (void)s->Scan("free bitcoin", kAnyUrl);
  const auto st = s->stats();
  EXPECT_EQ(st.scans, 3u);
  EXPECT_EQ(st.flagged, 2u);
  ASSERT_EQ(st.rule_matches.size(), 4u);
  EXPECT_EQ(st.rule_matches[0], (std::pair<std::string, uint64_t>{"crypto", 1}));
  EXPECT_EQ(st.rule_matches[1], (std::pair<std::string, uint64_t>{"suspended", 2}));
  ASSERT_EQ(st.rejections.size(), 1u);
  EXPECT_EQ(st.rejections[0], (std::pair<Reason, uint64_t>{Reason::kBlockedContent, 1}));
}

TEST(ContentScanner, KeywordsAreLiteral) {
  auto s = Build(kRules);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->Scan("abc", kAnyUrl)->flagged.empty());  // '.' is not a wildcard
  EXPECT_EQ(s->Scan("a.c", kAnyUrl)->flagged, std::vector<std::string>{"dot.star"});
}

TEST(ContentScanner, AllowedUrlsPass) {
  auto s = Build(kRules);
  ASSERT_TRUE(s);
  auto r = s->Scan("Track at https://shop.example.com/t/1 or www.other.org", kAnyUrl);
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->urls, 2u);
  // The operator's allow list lifts the shortener/look-alike checks for its domains.
  EXPECT_TRUE(s->Scan("https://paypal.com/x", kAnyUrl).ok());
}

TEST(ContentScanner, UnicodeTextDoesNotBreakUrlExtraction) {
  auto s = Build(kRules);
  ASSERT_TRUE(s);
  // UCS-2 candidates (Cyrillic, CJK), emoji around and inside, a surrogate-range emoji.
  EXPECT_EQ(ReasonOf(s->Scan("Ваш заказ 🎁 готов: 📦bit.ly/x😀 — спасибо", kAnyUrl)),
            Reason::kShortenerNotAllowed);
  auto r = s->Scan("注文は発送されました。詳細は www.other.org/追跡 をご覧ください 🚚", kAnyUrl);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->urls, 1u);
  r = s->Scan("Привет! Как дела? 😀😀😀 Код: 1234.", kAnyUrl);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->urls, 0u);
}

TEST(ContentScanner, LongTextsStayCorrect) {
  auto s = Build(kRules);
  ASSERT_TRUE(s);
  std::string text;
  while (text.size() < HyperscanContentScanner::kMaxTextBytes - 100) text += "a.b.c.d.1 ";
  EXPECT_TRUE(s->Scan(text, kAnyUrl).ok());
  text.resize(HyperscanContentScanner::kMaxTextBytes - 20);
  text += " bit.ly/x";
  EXPECT_EQ(ReasonOf(s->Scan(text, kAnyUrl)), Reason::kShortenerNotAllowed);
}

TEST(ContentScanner, ConcurrentScansShareOneScanner) {
  auto s = Build(kRules);
  ASSERT_TRUE(s);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (ReasonOf(s->Scan("free bitcoin", kAnyUrl)) != Reason::kBlockedContent) ++wrong;
        if (!s->Scan("hello there", kAnyUrl).ok()) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(s->stats().scans, 1600u);
}

TEST(ContentRules, BadRegexNamesFileLineAndRule) {
  const RulesError e = BuildError(R"([[rule]]
id = "ok"
action = "reject"
keywords = ["x"]

[[rule]]
id = "broken"
action = "flag"
regex = 'abc(def'
)");
  EXPECT_EQ(e.file, "rules.toml");
  EXPECT_EQ(e.line, 9);
  EXPECT_NE(e.message.find("rule 'broken'"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("abc(def"), std::string::npos) << e.message;
  EXPECT_EQ(e.ToString().rfind("rules.toml:9:", 0), 0u) << e.ToString();
}

TEST(ContentRules, ParseProblemsPointAtTheirLine) {
  EXPECT_EQ(BuildError("[[rule]\nid = 1").line, 1);  // TOML syntax
  RulesError e = BuildError("[[rule]]\nid = \"a\"\naction = \"drop\"\nkeywords = [\"x\"]\n");
  EXPECT_EQ(e.line, 3);
  EXPECT_NE(e.message.find("reject, flag"), std::string::npos) << e.message;
  e = BuildError("[[rule]]\nid = \"a\"\naction = \"flag\"\n");
  EXPECT_NE(e.message.find("exactly one of"), std::string::npos) << e.message;
  e = BuildError(
      "[[rule]]\nid = \"a\"\naction = \"flag\"\nkeywords = [\"x\"]\n"
      "[[rule]]\nid = \"a\"\naction = \"flag\"\nkeywords = [\"y\"]\n");
  EXPECT_EQ(e.line, 6);
  EXPECT_NE(e.message.find("duplicate"), std::string::npos);
  e = BuildError("[urls]\ndeny = [\"not a domain\"]\n");
  EXPECT_EQ(e.line, 2);
  e = BuildError("[urls]\nshortner_policy = \"allow\"\n");
  EXPECT_NE(e.message.find("unknown key 'shortner_policy'"), std::string::npos);
}

TEST(ContentScannerSlot, BadReloadKeepsTheOldRules) {
  TempDir dir("sd-policy");
  const std::string path = dir.File("rules.toml");
  ContentScannerSlot slot;
  EXPECT_EQ(slot.Current(), nullptr);
  ASSERT_TRUE(WriteTextFile(path, kRules));
  ASSERT_FALSE(slot.Reload(path).has_value());
  auto first = slot.Current();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(ReasonOf(first->Scan("free bitcoin", kAnyUrl)), Reason::kBlockedContent);

  ASSERT_TRUE(WriteTextFile(path, "[[rule]]\nid = \"x\"\naction = \"reject\"\nregex = '(('\n"));
  auto err = slot.Reload(path);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->file, path);
  EXPECT_EQ(err->line, 4);
  EXPECT_EQ(slot.Current(), first);  // unchanged
  EXPECT_EQ(ReasonOf(slot.Current()->Scan("free bitcoin", kAnyUrl)), Reason::kBlockedContent);

  ASSERT_TRUE(
      WriteTextFile(path, "[[rule]]\nid = \"new\"\naction = \"reject\"\nkeywords = ['spam']\n"));
  ASSERT_FALSE(slot.Reload(path).has_value());
  EXPECT_NE(slot.Current(), first);
  EXPECT_TRUE(slot.Current()->Scan("free bitcoin", kAnyUrl).ok());
  EXPECT_EQ(slot.Current()->Scan("spam", kAnyUrl).error().detail, "new");
  // A scan that holds the old scanner can still use it after the swap.
  EXPECT_EQ(ReasonOf(first->Scan("free bitcoin", kAnyUrl)), Reason::kBlockedContent);

  EXPECT_TRUE(slot.Reload(dir.File("missing.toml")).has_value());
  EXPECT_NE(slot.Current(), nullptr);
}

TEST(ContentScannerSlot, ShippedExampleFileLoads) {
  ContentScannerSlot slot;
  auto err = slot.Reload(std::string(SD_SOURCE_DIR) + "/systemd/content-rules.toml");
  ASSERT_FALSE(err.has_value()) << err->ToString();
  auto s = slot.Current();
  EXPECT_EQ(ReasonOf(s->Scan("Claim your FREE BITCOIN", kAnyUrl)), Reason::kBlockedContent);
  EXPECT_EQ(ReasonOf(s->Scan("pay at exarnple.com/x", kAnyUrl)), Reason::kLookalikeDomain);
  EXPECT_TRUE(s->Scan("Your code is 123456. Details: www.example.com/otp", kAnyUrl).ok());
}

}  // namespace
}  // namespace sd

namespace sd {
namespace {

// Scans on threads while the slot is reloaded: each scan sees one whole rule set, old or new.
// Run under TSan (-DSD_TSAN=ON).
TEST(ContentScannerSlot, ReloadWhileScanning) {
  TempDir dir("sd-policy");
  const std::string path = dir.File("rules.toml");
  ASSERT_TRUE(WriteTextFile(path, kRules));
  ContentScannerSlot slot;
  ASSERT_FALSE(slot.Reload(path).has_value());
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        auto s = slot.Current();
        if (ReasonOf(s->Scan("free bitcoin", kAnyUrl)) != Reason::kBlockedContent) ++wrong;
      }
    });
  }
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(slot.Reload(path).has_value());
  stop.store(true);
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace sd
