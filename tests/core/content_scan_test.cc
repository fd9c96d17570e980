#include "core/content_scan.h"

#include <gtest/gtest.h>

namespace sd {
namespace {

FoundUrl Url(std::string_view text) {
  auto urls = ExtractUrls(text);
  EXPECT_EQ(urls.size(), 1u) << text;
  return urls.empty() ? FoundUrl{} : urls[0];
}

UrlRules Rules() {
  UrlRules r;
  r.deny = {"evil.example"};
  r.allow = {"trusted.example"};
  r.shorteners = {"bit.ly"};
  r.protected_domains = {"paypal.com"};
  return r;
}

std::optional<Reason> Verdict(std::string_view text, const UrlScope& scope = {},
                              const UrlRules& rules = Rules()) {
  auto e = JudgeUrl(Url(text), rules, scope);
  if (!e) return std::nullopt;
  return e->reason;
}

TEST(JudgeUrl, EachReason) {
  EXPECT_EQ(Verdict("example.com/x"), std::nullopt);
  EXPECT_EQ(Verdict("example.com/x", UrlScope{UrlScope::Mode::kNone, {}}), Reason::kUrlNotAllowed);
  EXPECT_EQ(Verdict("a.evil.example/x"), Reason::kUrlNotAllowed);
  EXPECT_EQ(Verdict("bit.ly/x"), Reason::kShortenerNotAllowed);
  EXPECT_EQ(Verdict("pаypal.com/x"), Reason::kLookalikeDomain);
  EXPECT_EQ(Verdict("https://xn--pypal-4ve.com"), Reason::kLookalikeDomain);
  EXPECT_EQ(Verdict("https://xn--99999999999.com"), Reason::kLookalikeDomain);
  EXPECT_EQ(Verdict("https://gооdsite.org"), Reason::kLookalikeDomain);  // mixed scripts
  EXPECT_EQ(Verdict("https://пример.рф"), std::nullopt);                 // one script: fine
}

TEST(JudgeUrl, ShortenerPolicyAllow) {
  UrlRules r = Rules();
  r.reject_shorteners = false;
  EXPECT_EQ(Verdict("bit.ly/x", {}, r), std::nullopt);
}

TEST(JudgeUrl, KeyAllowlist) {
  UrlScope scope{UrlScope::Mode::kAllowlist, {"example.com"}};
  EXPECT_EQ(Verdict("https://shop.example.com/x", scope), std::nullopt);
  EXPECT_EQ(Verdict("https://other.org/x", scope), Reason::kUrlNotAllowed);
  // The operator's allow list does not widen the key's.
  EXPECT_EQ(Verdict("https://trusted.example/x", scope), Reason::kUrlNotAllowed);
}

TEST(JudgeUrl, OperatorAllowSkipsOperatorChecks) {
  UrlRules r = Rules();
  r.allow.push_back("bit.ly");
  EXPECT_EQ(Verdict("bit.ly/x", {}, r), std::nullopt);
  auto e = JudgeUrl(Url("bit.ly/x"), Rules(), {});
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->detail, "bit.ly");
}

TEST(JudgeUrl, DetailNamesHostAndImitatedDomain) {
  auto e = JudgeUrl(Url("pаypal.com/x"), Rules(), {});
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->detail, "xn--pypal-4ve.com: imitates paypal.com");
}

}  // namespace
}  // namespace sd
