// libFuzzer target for the URL extractor, host resolution (ICU's UTS #46 through the
// DomainNames port) and the URL verdict: message text is producer-controlled, and these walk
// it code point by code point.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/policy/icu_domain_names.h"
#include "core/content_scan.h"
#include "core/url_extract.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  sd::UrlRules rules;
  rules.deny = {"evil.example"};
  rules.shorteners = {"bit.ly"};
  rules.protected_domains = {"paypal.com", "example.co.uk"};
  const sd::DomainNames& names = *sd::IcuDomainNames::Shared();
  size_t last_end = 0;
  sd::ForEachUrl(text, names, [&](const sd::FoundUrl& u) {
    // Ranges are in order, inside the text, and non-empty.
    Check(u.begin >= last_end && u.begin < u.end && u.end <= size);
    last_end = u.end;
    // The canonical host is lower-case ASCII.
    // A valid host's canonical form is lower-case ASCII and resolves to itself.
    if (u.problem.empty()) {
      for (char c : u.host) {
        Check(static_cast<unsigned char>(c) < 0x80 && !(c >= 'A' && c <= 'Z'));
      }
      if (!u.too_long)
        Check(sd::CanonicalDomain(u.host, names) == u.host ||
              u.host.find('.') == std::string::npos);
    }
    (void)sd::JudgeUrl(u, rules, {}, names);
    return true;
  });
  return 0;
}
