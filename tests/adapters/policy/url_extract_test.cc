// URL extraction (core/url_extract.h) with the host rules it is used with in production:
// ICU's UTS #46 through adapters/policy/icu_domain_names.h.
#include "core/url_extract.h"

#include <gtest/gtest.h>

#include <string>

#include "adapters/policy/icu_domain_names.h"

namespace sd {
namespace {

const DomainNames& Names() { return *IcuDomainNames::Shared(); }

std::vector<FoundUrl> ExtractUrls(std::string_view text) { return sd::ExtractUrls(text, Names()); }

std::vector<std::string> Hosts(std::string_view text) {
  std::vector<std::string> out;
  for (const FoundUrl& u : ExtractUrls(text)) out.push_back(u.host);
  return out;
}

std::string CanonicalDomain(std::string_view d) { return sd::CanonicalDomain(d, Names()); }

using V = std::vector<std::string>;

TEST(UrlExtract, SchemedAndBare) {
  EXPECT_EQ(Hosts("Go to https://Example.COM/a?b=1 now"), V{"example.com"});
  EXPECT_EQ(Hosts("see bit.ly/x and example.com/path, or www.test.org."),
            (V{"bit.ly", "example.com", "www.test.org"}));
  EXPECT_EQ(Hosts("http://localhost:8080/x"), V{"localhost"});
  EXPECT_EQ(Hosts("plain example.com"), V{"example.com"});
}

TEST(UrlExtract, NotUrls) {
  EXPECT_EQ(Hosts("Total 3.50 EUR. Thanks!"), V{});
  EXPECT_EQ(Hosts("mail me at bob@example.com"), V{});
  EXPECT_EQ(Hosts("Привет.Как дела"), V{});
  EXPECT_EQ(Hosts("Your code is 123456"), V{});
  EXPECT_EQ(Hosts("ftp:// nothing"), V{});
}

TEST(UrlExtract, UserinfoIsNotTheHost) {
  EXPECT_EQ(Hosts("https://paypal.com@evil.example/login"), V{"evil.example"});
  EXPECT_EQ(Hosts("https://user:pw@evil.example"), V{"evil.example"});
  EXPECT_EQ(Hosts("paypal.com@evil.example/login"), V{"evil.example"});
  EXPECT_EQ(Hosts("write to john.doe@example.com today"), V{});
}

TEST(UrlExtract, RangeCoversPath) {
  const std::string text = "x bit.ly/abc y";
  auto urls = ExtractUrls(text);
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_EQ(text.substr(urls[0].begin, urls[0].end - urls[0].begin), "bit.ly/abc");
}

TEST(UrlExtract, UnicodeTextAroundUrls) {
  EXPECT_EQ(Hosts("🎉bit.ly/x🎉 Ваш код 1234, см. пример.рф/путь"),
            (V{"bit.ly", "xn--e1afmkfd.xn--p1ai"}));
  EXPECT_EQ(Hosts("東京 https://例え.jp/テスト"), V{"xn--r8jz45g.jp"});
  // Ideographic full stop and fullwidth letters as IDNA maps them.
  EXPECT_EQ(Hosts("ｅｘａｍｐｌｅ。com/x"), V{"example.com"});
}

TEST(UrlExtract, PunycodeHostsDecodeForDisplay) {
  auto urls = ExtractUrls("https://xn--pypal-4ve.com/login");
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_EQ(urls[0].host, "xn--pypal-4ve.com");
  EXPECT_EQ(urls[0].written, "xn--pypal-4ve.com");
  EXPECT_EQ(urls[0].unicode, "pаypal.com");  // Cyrillic а
  EXPECT_EQ(urls[0].problem, "");
  urls = ExtractUrls("https://xn--99999999999.com/");
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_EQ(urls[0].problem, "bad punycode");
  EXPECT_EQ(urls[0].host, "xn--99999999999.com");  // as written: it resolves to nothing
}

TEST(UrlExtract, CyrillicHostIsEncoded) {
  auto urls = ExtractUrls("Login: pаypal.com/secure");  // Cyrillic а
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_EQ(urls[0].host, "xn--pypal-4ve.com");
}

// The two hosts outside testing found read short: U+0251 was not a host character, so
// "pɑypal.com" was read as "p" and "ypal.com"; U+1D429 was not either.
TEST(UrlExtract, EveryLetterUts46AllowsIsPartOfTheHost) {
  auto urls = ExtractUrls("https://pɑypal.com/login");
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_EQ(urls[0].written, "pɑypal.com");
  EXPECT_EQ(urls[0].host, "xn--pypal-0jc.com");
  // U+1D429 MATHEMATICAL BOLD SMALL P maps to "p": the host is the real domain.
  urls = ExtractUrls("go to \U0001D429aypal.com/login");
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_EQ(urls[0].host, "paypal.com");
  EXPECT_EQ(urls[0].written, "\U0001D429aypal.com");
  // Letters of scripts the old table did not list: Georgian, Ethiopic, Cherokee.
  EXPECT_EQ(Hosts("https://ნიმუში.ge/x"), V{CanonicalDomain("ნიმუში.ge")});
  EXPECT_EQ(Hosts("https://ሰላም.com"), V{CanonicalDomain("ሰላም.com")});
  EXPECT_EQ(Hosts("https://ᏣᎳᎩ.com/x"), V{CanonicalDomain("ᏣᎳᎩ.com")});
  EXPECT_NE(CanonicalDomain("ნიმუში.ge"), "");
  // Ignored code points (soft hyphen, zero-width space) vanish inside a host, as in browsers.
  EXPECT_EQ(Hosts("https://pay\u00ADpal.com/x"), V{"paypal.com"});
  EXPECT_EQ(Hosts("bit\u200B.ly/x"), V{"bit.ly"});
  // A joiner does not end the host; it makes it invalid (CheckJoiners).
  urls = ExtractUrls("https://pay\u200Dpal.com/x");
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_EQ(urls[0].problem, "misplaced joiner");
}

TEST(UrlExtract, FullwidthAndIdeographicDotsSeparateLabels) {
  EXPECT_EQ(Hosts("https://paypal\u3002com/login"), V{"paypal.com"});
  EXPECT_EQ(Hosts("https://paypal\uFF0Ecom/login"), V{"paypal.com"});
  EXPECT_EQ(Hosts("https://paypal\uFF61com/login"), V{"paypal.com"});
  EXPECT_EQ(Hosts("bit\u3002ly/abc"), V{"bit.ly"});
  EXPECT_EQ(Hosts("ｂｉｔ．ｌｙ"), V{"bit.ly"});  // bare, fullwidth throughout
  auto urls = ExtractUrls("https://p\u0430ypal\uFF0Ecom");
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_EQ(urls[0].written, "p\u0430ypal.com");
  EXPECT_EQ(urls[0].host, "xn--pypal-4ve.com");
}

TEST(UrlExtract, SymbolsAndEmojiEndAHost) {
  // Valid in UTS #46 only for IDNA2003 compatibility; IDNA2008 (what registries apply)
  // disallows them, so they end a host as punctuation does.
  EXPECT_EQ(Hosts("☎bit.ly/x"), V{"bit.ly"});
  EXPECT_EQ(Hosts("bit.ly/x ⑴"), V{"bit.ly"});
}

TEST(UrlExtract, LongPathologicalTextIsLinearAndBounded) {
  std::string dots;
  for (int i = 0; i < 50'000; ++i) dots += "a.";
  auto urls = ExtractUrls(dots + "com");
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_TRUE(urls[0].too_long);
  std::string words;
  for (int i = 0; i < 20'000; ++i) words += "word.1 ";
  EXPECT_TRUE(ExtractUrls(words).empty());
  std::string plus;
  for (int i = 0; i < 50'000; ++i) plus += "a+";
  EXPECT_TRUE(ExtractUrls(plus).empty());
}

TEST(UrlExtract, InvalidUtf8IsASeparator) {
  EXPECT_EQ(Hosts("\xff"
                  "example.com/x\xc3"),
            V{"example.com"});
}

TEST(CanonicalDomain, AsciiLowerCasePunycode) {
  EXPECT_EQ(CanonicalDomain("Example.COM"), "example.com");
  EXPECT_EQ(CanonicalDomain("пример.рф"), "xn--e1afmkfd.xn--p1ai");
  EXPECT_EQ(CanonicalDomain("Bücher.de"), "xn--bcher-kva.de");
  EXPECT_EQ(CanonicalDomain("faß.de"), "xn--fa-hia.de");  // nontransitional, as browsers
  EXPECT_EQ(CanonicalDomain("例え。jp"), "xn--r8jz45g.jp");
  EXPECT_EQ(CanonicalDomain("example.com/x"), "");
  EXPECT_EQ(CanonicalDomain("localhost"), "");
  EXPECT_EQ(CanonicalDomain("bob@example.com"), "");
  EXPECT_EQ(CanonicalDomain("example.com."), "");
  EXPECT_EQ(CanonicalDomain("xn--99999999999.com"), "");  // not a valid name
}

TEST(HostMatchesDomain, SubdomainsOnly) {
  EXPECT_TRUE(HostMatchesDomain("example.com", "example.com"));
  EXPECT_TRUE(HostMatchesDomain("a.b.example.com", "example.com"));
  EXPECT_FALSE(HostMatchesDomain("badexample.com", "example.com"));
  EXPECT_FALSE(HostMatchesDomain("example.com.evil", "example.com"));
}

TEST(IcuDomainNames, SkeletonsAreUts39) {
  const DomainNames& n = Names();
  EXPECT_EQ(n.Skeleton("pаypal.com"), n.Skeleton("paypal.com"));  // Cyrillic а
  EXPECT_EQ(n.Skeleton("paypa1.c0m"), n.Skeleton("paypal.com"));
  EXPECT_EQ(n.Skeleton("G00GLE.COM"), n.Skeleton("GOOGLE.COM"));  // lower-cased after
  EXPECT_EQ(n.Skeleton("paypaI.com"), n.Skeleton("paypal.com"));  // capital I for l
  EXPECT_EQ(n.Skeleton("rnicrosoft.com"), n.Skeleton("microsoft.com"));
  EXPECT_EQ(n.Skeleton("gοοgle.com"), n.Skeleton("google.com"));  // Greek omicron
  EXPECT_EQ(n.Skeleton("pɑypal.com"), n.Skeleton("paypal.com"));  // Latin alpha
  EXPECT_NE(n.Skeleton("paypal.com"), n.Skeleton("paypals.com"));
}

TEST(IcuDomainNames, MixedScript) {
  const DomainNames& n = Names();
  EXPECT_TRUE(n.MixedScript("pаypal"));
  EXPECT_FALSE(n.MixedScript("пример"));
  EXPECT_FALSE(n.MixedScript("bücher-24"));
  EXPECT_FALSE(n.MixedScript("abc株式会社"));  // Latin with Han: highly restrictive allows it
  EXPECT_TRUE(n.MixedScript("аbc"));           // Cyrillic а with Latin
  EXPECT_TRUE(n.MixedScript("株式ο"));         // Han with Greek
  EXPECT_TRUE(n.MixedScript("αβгд"));          // Greek with Cyrillic
  EXPECT_TRUE(n.MixedScript("a1\u0663"));      // ASCII digit with an Arabic-Indic one
}

TEST(IcuDomainNames, ClassifyFollowsUts46) {
  const DomainNames& n = Names();
  using C = DomainNames::CodePoint;
  EXPECT_EQ(n.Classify(U'\u0251'), C::kHost);      // ɑ
  EXPECT_EQ(n.Classify(U'\U0001D429'), C::kHost);  // 𝐩 → p
  EXPECT_EQ(n.Classify(U'\uFF41'), C::kHost);      // ａ → a
  EXPECT_EQ(n.Classify(U'\u00AD'), C::kHost);      // ignored
  EXPECT_EQ(n.Classify(U'\u3002'), C::kDot);
  EXPECT_EQ(n.Classify(U'\uFF0E'), C::kDot);
  EXPECT_EQ(n.Classify(U'\uFF61'), C::kDot);
  EXPECT_EQ(n.Classify(U'\u00A0'), C::kOther);      // no-break space
  EXPECT_EQ(n.Classify(U'\uFF0F'), C::kOther);      // fullwidth solidus → '/'
  EXPECT_EQ(n.Classify(U'\U0001F389'), C::kOther);  // emoji
  EXPECT_EQ(n.Classify(U'\u2014'), C::kOther);      // em dash
  EXPECT_EQ(n.Classify(U'\u237A'), C::kHost);       // APL alpha: a confusable of a
  EXPECT_EQ(n.Classify(U'\u04C0'), C::kHost);       // palochka: disallowed, but a letter
  EXPECT_EQ(n.Classify(U'\u0378'), C::kOther);      // unassigned
  EXPECT_EQ(n.Classify(0x110000), C::kOther);
  EXPECT_EQ(n.Classify(U'\u0251'), C::kHost);  // the cached answer is the same
}

}  // namespace
}  // namespace sd
