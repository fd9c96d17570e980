// The URL verdict (core/content_scan.h) with ICU's host rules (adapters/policy).
#include <gtest/gtest.h>

#include "adapters/policy/icu_domain_names.h"
#include "core/content_scan.h"

namespace sd {
namespace {

const DomainNames& Names() { return *IcuDomainNames::Shared(); }

FoundUrl Url(std::string_view text) {
  auto urls = ExtractUrls(text, Names());
  EXPECT_EQ(urls.size(), 1u) << text;
  return urls.empty() ? FoundUrl{} : urls[0];
}

UrlRules Rules() {
  UrlRules r;
  r.deny = {"evil.example"};
  r.allow = {"trusted.example"};
  r.shorteners = {"bit.ly"};
  r.protected_domains = {"paypal.com"};
  PrepareLookalikes(&r, Names());
  return r;
}

std::optional<Reason> Verdict(std::string_view text, const UrlScope& scope = {},
                              const UrlRules& rules = Rules()) {
  auto e = JudgeUrl(Url(text), rules, scope, Names());
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
  EXPECT_EQ(Verdict("https://WWW.Example.COM./x", scope), std::nullopt);
  EXPECT_EQ(Verdict("https://other.org/x", scope), Reason::kUrlNotAllowed);
  // A listed domain matches at a label boundary only.
  EXPECT_EQ(Verdict("https://badexample.com/x", scope), Reason::kUrlNotAllowed);
  EXPECT_EQ(Verdict("https://example.com.evil.net/x", scope), Reason::kUrlNotAllowed);
  // The operator's allow list does not widen the key's.
  EXPECT_EQ(Verdict("https://trusted.example/x", scope), Reason::kUrlNotAllowed);
}

TEST(JudgeUrl, OperatorAllowSkipsOperatorChecks) {
  UrlRules r = Rules();
  r.allow.push_back("bit.ly");
  EXPECT_EQ(Verdict("bit.ly/x", {}, r), std::nullopt);
  auto e = JudgeUrl(Url("bit.ly/x"), Rules(), {}, Names());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->detail, "bit.ly");
}

TEST(JudgeUrl, DetailNamesHostAndImitatedDomain) {
  auto e = JudgeUrl(Url("pаypal.com/x"), Rules(), {}, Names());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->detail, "xn--pypal-4ve.com: imitates paypal.com");
  e = JudgeUrl(Url("https://xn--99999999999.com"), Rules(), {}, Names());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->detail, "xn--99999999999.com: bad punycode");
}

// Skeletons computed per URL (rules not prepared) give the same verdicts.
TEST(JudgeUrl, UnpreparedRulesJudgeTheSame) {
  UrlRules r = Rules();
  r.protected_skeletons.clear();
  EXPECT_EQ(Verdict("pаypal.com/x", {}, r), Reason::kLookalikeDomain);
  EXPECT_EQ(Verdict("paypal.com/x", {}, r), std::nullopt);
}

// Capitals: "PAYPA1.COM" reads as PAYPAL.COM; the skeleton of the domain in capitals catches it.
TEST(JudgeUrl, ImitationsInCapitals) {
  EXPECT_EQ(Verdict("https://PAYPA1.COM/x"), Reason::kLookalikeDomain);
  EXPECT_EQ(Verdict("https://PAYPAL.COM/x"), std::nullopt);
  EXPECT_EQ(Verdict("https://PАYPАL.COM/x"), Reason::kLookalikeDomain);  // Cyrillic А
}

// A host can imitate one protected domain while being a subdomain of another.
TEST(JudgeUrl, GenuineForOneDomainCanImitateAnother) {
  UrlRules r = Rules();
  r.protected_domains = {"paypal.com", "example.com"};
  PrepareLookalikes(&r, Names());
  EXPECT_EQ(Verdict("https://www.paypal.com/x", {}, r), std::nullopt);
  EXPECT_EQ(Verdict("https://paypal.exarnple.com/x", {}, r), Reason::kLookalikeDomain);
}

}  // namespace
}  // namespace sd
