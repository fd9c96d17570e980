#include "core/url_extract.h"

#include <gtest/gtest.h>

#include <string>

#include "core/confusables.h"
#include "core/punycode.h"

namespace sd {
namespace {

std::vector<std::string> Hosts(std::string_view text) {
  std::vector<std::string> out;
  for (const FoundUrl& u : ExtractUrls(text)) out.push_back(u.host);
  return out;
}

using V = std::vector<std::string>;

TEST(Punycode, RoundTripsKnownLabels) {
  struct Case {
    std::u32string unicode;
    std::string ascii;
  };
  for (const Case& c :
       {Case{U"bücher", "bcher-kva"}, Case{U"münchen", "mnchen-3ya"}, Case{U"пример", "e1afmkfd"},
        Case{U"pаypal", "pypal-4ve"}, Case{U"例え", "r8jz45g"}}) {
    std::string enc;
    ASSERT_TRUE(PunycodeEncode(c.unicode, &enc));
    EXPECT_EQ(enc, c.ascii);
    std::u32string dec;
    ASSERT_TRUE(PunycodeDecode(c.ascii, &dec));
    EXPECT_EQ(dec, c.unicode);
  }
}

TEST(Punycode, RefusesGarbage) {
  std::u32string out;
  EXPECT_FALSE(PunycodeDecode("abc-!!", &out));
  EXPECT_FALSE(PunycodeDecode("99999999999", &out));
  EXPECT_FALSE(PunycodeDecode(std::string(64, 'a'), &out));
}

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
  EXPECT_EQ(urls[0].display, U"pаypal.com");
  EXPECT_FALSE(urls[0].bad_punycode);
  urls = ExtractUrls("https://xn--99999999999.com/");
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_TRUE(urls[0].bad_punycode);
}

TEST(UrlExtract, CyrillicHostIsEncoded) {
  auto urls = ExtractUrls("Login: pаypal.com/secure");  // Cyrillic а
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_EQ(urls[0].host, "xn--pypal-4ve.com");
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
  EXPECT_EQ(CanonicalDomain("example.com/x"), "");
  EXPECT_EQ(CanonicalDomain("localhost"), "");
  EXPECT_EQ(CanonicalDomain("bob@example.com"), "");
  EXPECT_EQ(CanonicalDomain("example.com."), "");
}

TEST(HostMatchesDomain, SubdomainsOnly) {
  EXPECT_TRUE(HostMatchesDomain("example.com", "example.com"));
  EXPECT_TRUE(HostMatchesDomain("a.b.example.com", "example.com"));
  EXPECT_FALSE(HostMatchesDomain("badexample.com", "example.com"));
  EXPECT_FALSE(HostMatchesDomain("example.com.evil", "example.com"));
}

TEST(Confusables, SkeletonFoldsLookalikes) {
  EXPECT_EQ(Skeleton(U"pаypal.com"), "paypal.com");  // Cyrillic а
  EXPECT_EQ(Skeleton(U"PAYPA1.C0M"), "paypal.com");
  EXPECT_EQ(Skeleton(U"paypaI.com"), "paypal.com");  // capital I for l
  EXPECT_EQ(Skeleton(U"rnicrosoft.com"), "microsoft.com");
  EXPECT_EQ(Skeleton(U"gοοgle.com"), "google.com");  // Greek omicron
  EXPECT_EQ(Skeleton(U"bänk.de"), "bank.de");
}

TEST(Confusables, MixedScript) {
  EXPECT_TRUE(IsMixedScript(U"pаypal"));
  EXPECT_FALSE(IsMixedScript(U"пример"));
  EXPECT_FALSE(IsMixedScript(U"bücher-24"));
  EXPECT_FALSE(IsMixedScript(U"abc株式会社"));  // Latin with Han: allowed
  EXPECT_TRUE(IsMixedScript(U"аbc"));           // Cyrillic а with Latin
  EXPECT_TRUE(IsMixedScript(U"株式ο"));         // Han with Greek
  EXPECT_TRUE(IsMixedScript(U"αβгд"));          // Greek with Cyrillic
}

TEST(Confusables, ImitatedDomain) {
  const std::vector<std::string> prot{"paypal.com", "mybank.co.uk"};
  EXPECT_EQ(ImitatedDomain("xn--pypal-4ve.com", U"pаypal.com", prot), "paypal.com");
  EXPECT_EQ(ImitatedDomain("login.paypa1.com", U"login.paypa1.com", prot), "paypal.com");
  EXPECT_EQ(ImitatedDomain("rnybank.co.uk", U"rnybank.co.uk", prot), "mybank.co.uk");
  EXPECT_EQ(ImitatedDomain("paypal.com", U"PayPal.com", prot), "");
  EXPECT_EQ(ImitatedDomain("www.paypal.com", U"www.paypal.com", prot), "");
  EXPECT_EQ(ImitatedDomain("example.com", U"example.com", prot), "");
}

}  // namespace
}  // namespace sd

// U+1D429 MATHEMATICAL BOLD SMALL P maps to "p" under IDNA, so the host is the real domain;
// it used to end the host before it ("aypal.com").
TEST(UrlExtract, MathematicalAlphanumericsFoldToAscii) {
  const auto urls = sd::ExtractUrls("go to \U0001D429aypal.com/login");
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_EQ(urls[0].host, "paypal.com");
}
