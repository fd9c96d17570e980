// libFuzzer target for the URL extractor, Punycode and the URL verdict: message text is
// producer-controlled, and these walk it code point by code point.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/content_scan.h"
#include "core/punycode.h"

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
  size_t last_end = 0;
  sd::ForEachUrl(text, [&](const sd::FoundUrl& u) {
    // Ranges are in order, inside the text, and non-empty.
    Check(u.begin >= last_end && u.begin < u.end && u.end <= size);
    last_end = u.end;
    // The canonical host is lower-case ASCII.
    for (char c : u.host) Check(static_cast<unsigned char>(c) < 0x80 && !(c >= 'A' && c <= 'Z'));
    (void)sd::JudgeUrl(u, rules, {});
    return true;
  });
  // Decode, encode, decode again gives the same code points.
  std::u32string first, second;
  std::string encoded;
  if (sd::PunycodeDecode(text, &first) && sd::PunycodeEncode(first, &encoded)) {
    Check(sd::PunycodeDecode(encoded, &second) && second == first);
  }
  return 0;
}
