// Look-alike links through the whole scanner with the shipped rules (systemd/content-rules.toml):
// the two hosts outside testing found passing, mixed-script hosts, full-width dots, and
// homographs of every protected domain generated from Unicode's confusables data (ICU 72
// carries Unicode 15's confusables.txt; a code point is a confusable of a letter when their
// UTS #39 skeletons are equal).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "adapters/policy/content_scanner.h"
#include "adapters/policy/icu_domain_names.h"
#include "core/url_extract.h"

namespace sd {
namespace {

const DomainNames& Names() { return *IcuDomainNames::Shared(); }

const HyperscanContentScanner& Shipped() {
  static const auto scanner = [] {
    auto built = HyperscanContentScanner::Load(SD_SOURCE_DIR "/systemd/content-rules.toml");
    if (auto* e = std::get_if<RulesError>(&built)) {
      ADD_FAILURE() << e->ToString();
      std::abort();
    }
    return std::move(std::get<std::unique_ptr<HyperscanContentScanner>>(built));
  }();
  return *scanner;
}

Reason ReasonOf(std::string_view text) {
  const auto r = Shipped().Scan(text, UrlScope{});
  return r.ok() ? Reason::kNone : r.error().reason;
}

std::string Utf8(char32_t c) {
  std::string s;
  AppendUtf8(c, &s);
  return s;
}

// The two hosts from the report, now read whole: "pɑypal.com" (U+0251) imitates paypal.com;
// "𝐩aypal.com" (U+1D429) is paypal.com itself under UTS #46, so it is judged as that domain
// (and is one on a deny list: the evasion of lists it allowed is closed too).
TEST(Lookalike, TheReportedHostsAreReadWhole) {
  EXPECT_EQ(ReasonOf("Verify: https://p\u0251ypal.com/login"), Reason::kLookalikeDomain);
  EXPECT_EQ(ReasonOf("Verify: p\u0251ypal.com/login"), Reason::kLookalikeDomain);
  const auto urls = ExtractUrls("https://\U0001D429aypal.com/login", Names());
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_EQ(urls[0].host, "paypal.com");
  EXPECT_EQ(ReasonOf("https://\U0001D429aypal.com/login"), ReasonOf("https://paypal.com/login"));
  EXPECT_EQ(ReasonOf("https://\U0001D41Bit.ly/x"), Reason::kShortenerNotAllowed);  // 𝐛it.ly
  EXPECT_EQ(ReasonOf("https://\U0001D41Evil.example/x"), Reason::kUrlNotAllowed);  // 𝐞vil
}

TEST(Lookalike, MixedScriptHosts) {
  EXPECT_EQ(ReasonOf("https://g\u043E\u043Egle-login.net/x"),
            Reason::kLookalikeDomain);  // Cyrillic о
  EXPECT_EQ(ReasonOf("https://secure-\u03B1ccount.org/x"), Reason::kLookalikeDomain);  // Greek α
  EXPECT_EQ(ReasonOf("https://abc\u682A\u5F0F\u4F1A\u793E.jp/x"), Reason::kNone);  // Latin + Han
  EXPECT_EQ(ReasonOf("https://\u043F\u0440\u0438\u043C\u0435\u0440.\u0440\u0444/x"),
            Reason::kNone);  // one script
}

TEST(Lookalike, FullWidthAndIdeographicDots) {
  EXPECT_EQ(ReasonOf("https://p\u0430ypal\u3002com/login"), Reason::kLookalikeDomain);
  EXPECT_EQ(ReasonOf("p\u0430ypal\uFF0Ecom/login"), Reason::kLookalikeDomain);
  EXPECT_EQ(ReasonOf("bit\u3002ly/x"), Reason::kShortenerNotAllowed);
  EXPECT_EQ(ReasonOf("bit\uFF0Ely/x"), Reason::kShortenerNotAllowed);
  EXPECT_EQ(ReasonOf("evil\uFF61example/x"), Reason::kUrlNotAllowed);
}

TEST(Lookalike, InvalidNamesAreRefused) {
  EXPECT_EQ(ReasonOf("https://xn--99999999999.com/"), Reason::kLookalikeDomain);
  EXPECT_EQ(ReasonOf("https://pay\u200Dpal.com/"), Reason::kLookalikeDomain);  // joiner
  // U+04C0 CYRILLIC LETTER PALOCHKA (a look-alike of l) is disallowed by UTS #46: the host is
  // read whole and refused, not split into "examp" and "e.com".
  EXPECT_EQ(ReasonOf("https://examp\u04C0e.com/"), Reason::kLookalikeDomain);
  EXPECT_EQ(ReasonOf("examp\u04C0e.com/x"), Reason::kLookalikeDomain);
  // A symbol Unicode reads as a letter (U+237A APL ALPHA for a) is read into the host too.
  EXPECT_EQ(ReasonOf("https://payp\u237Al.com/x"), Reason::kLookalikeDomain);
  // Diacritics do not hide a protected domain: U+1EA1 ạ.
  EXPECT_EQ(ReasonOf("https://p\u1EA1ypal.com/x"), Reason::kLookalikeDomain);
}

// Every code point whose skeleton is that of `letter`, from Unicode's confusables data.
class Confusables {
 public:
  Confusables() {
    for (char32_t c = 0x80; c <= 0x10FFFF; ++c) {
      if (c >= 0xD800 && c <= 0xDFFF) continue;
      const std::string sk = Names().Skeleton(Utf8(c));
      if (sk.size() <= 2) by_skeleton_[sk].push_back(c);  // ASCII letters' skeletons are short
    }
  }
  const std::vector<char32_t>& Of(char letter) const {
    static const std::vector<char32_t> kNone;
    const auto it = by_skeleton_.find(Names().Skeleton(std::string(1, letter)));
    return it == by_skeleton_.end() ? kNone : it->second;
  }

 private:
  std::map<std::string, std::vector<char32_t>> by_skeleton_;
};

// For every protected domain of the shipped rules, every letter replaced by every confusable
// (and, for whole-script spoofs, every letter that has a Cyrillic twin replaced at once),
// written in Unicode, in "xn--" form, with ideographic dots and as a subdomain: each is
// refused as lookalike_domain, or UTS #46 maps it to the protected domain itself (fullwidth
// and mathematical letters), which is then judged as that domain. None passes as another host.
TEST(Lookalike, HomographsOfEveryProtectedDomainFromConfusablesData) {
  const Confusables confusables;
  const UrlRules& rules = Shipped().rules().urls;
  ASSERT_FALSE(rules.protected_domains.empty());
  size_t refused = 0, same_domain = 0, resolved_differs = 0, not_a_link = 0;
  std::set<std::string> seen;
  // `as_written`: the host is in the text as the confusable was written, so what the reader
  // sees is a homograph: it must be refused or be the domain itself. Otherwise (the "xn--"
  // form) the reader is shown the resolved name, which case mapping may have changed
  // (capital Ɩ, a look-alike of l, resolves to ɩ, which UTS #39 reads as i): then it must be
  // refused, be the domain, or resolve to a name that no longer looks like it.
  const auto check = [&](const std::string& domain, const std::string& host, bool as_written) {
    if (!seen.insert(host).second) return;
    for (const std::string& text :
         {"Log in: https://" + host + "/verify", host + "/verify", "see login." + host + "/x"}) {
      const Reason r = ReasonOf(text);
      if (r == Reason::kLookalikeDomain) {
        ++refused;
        continue;
      }
      const auto urls = ExtractUrls(text, Names());
      if (urls.empty()) {
        // A bare "example.c𝟎m/verify" is no link: its top-level label is not letters, so no
        // client makes it one and no name resolves. With a scheme it is a link, and refused.
        EXPECT_EQ(text.find("://"), std::string::npos) << text;
        ++not_a_link;
        continue;
      }
      if (HostMatchesDomain(urls[0].host, domain)) {
        ++same_domain;
        continue;
      }
      const std::string shown = Names().Skeleton(urls[0].unicode);
      const std::string target = Names().Skeleton(domain);
      const bool looks_alike =
          shown.size() >= target.size() &&
          shown.compare(shown.size() - target.size(), target.size(), target) == 0 &&
          (shown.size() == target.size() || shown[shown.size() - target.size() - 1] == '.');
      EXPECT_TRUE(!as_written && !looks_alike)
          << "passed as " << urls[0].host << " (" << urls[0].unicode << ", reason "
          << static_cast<int>(r) << "): " << text;
      ++resolved_differs;
    }
  };
  for (const std::string& domain : rules.protected_domains) {
    std::string whole_cyrillic = domain;
    for (size_t i = 0; i < domain.size(); ++i) {
      if (domain[i] == '.') continue;
      for (char32_t c : confusables.Of(domain[i])) {
        // Every confusable of a letter is read as part of the host, even a symbol (⍺, ℮):
        // one that ended the host would split the name into pieces that pass.
        EXPECT_EQ(Names().Classify(c), DomainNames::CodePoint::kHost)
            << "U+" << std::hex << static_cast<uint32_t>(c);
        const std::string host = domain.substr(0, i) + Utf8(c) + domain.substr(i + 1);
        check(domain, host, true);
        // The same host as a producer could write it in ASCII, and with U+3002 dots.
        const std::string ascii = CanonicalDomain(host, Names());
        if (ascii.find("xn--") != std::string::npos) check(domain, ascii, false);
        std::string ideographic;
        for (char ch : host) ideographic += ch == '.' ? std::string("\u3002") : std::string(1, ch);
        check(domain, ideographic, true);
      }
    }
    // Whole-script: every letter with a Cyrillic confusable replaced (e.g. "раураl.com").
    std::string cyr;
    for (size_t i = 0; i < domain.size(); ++i) {
      std::string rep(1, domain[i]);
      for (char32_t c : confusables.Of(domain[i])) {
        if (c >= 0x400 && c <= 0x4FF) {
          rep = Utf8(c);
          break;
        }
      }
      cyr += rep;
    }
    if (cyr != domain) check(domain, cyr, true);
  }
  // The data is rich: hundreds of host-character confusables across the protected domains.
  EXPECT_GT(refused, 500u);
  RecordProperty("refused", static_cast<int>(refused));
  RecordProperty("same_domain", static_cast<int>(same_domain));
  RecordProperty("resolved_differs", static_cast<int>(resolved_differs));
  RecordProperty("not_a_link", static_cast<int>(not_a_link));
  std::printf(
      "homographs: %zu refused, %zu read as the protected domain itself, %zu xn-- forms "
      "resolve to a name that does not look alike, %zu bare texts are no link\n",
      refused, same_domain, resolved_differs, not_a_link);
}

}  // namespace
}  // namespace sd
