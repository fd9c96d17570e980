#pragma once
// Finds URLs in message text: with a scheme ("https://x.example/p") and bare ("bit.ly/x",
// "example.com/path", "www.example.com", "example.com"). One linear pass over the text; every
// candidate is consumed whole, so no input makes it quadratic.
//
// Hosts are reported in two forms:
//  - `host`: the canonical ASCII form every list is compared in: lower-case, each label with
//    non-ASCII letters Punycode-encoded as "xn--..." (IDNA ToASCII for the subset below);
//  - `display`: the code points as written (dots unified, fullwidth ASCII folded to ASCII, case
//    kept, "xn--" labels decoded), which the look-alike check reads.
// IDNA subset, documented in docs/policy.md: the ideographic / fullwidth / halfwidth full stops
// (U+3002, U+FF0E, U+FF61) separate labels; fullwidth ASCII and mathematical (U+1D400..U+1D7FF)
// letters and digits fold to ASCII; lower-casing covers ASCII, Latin-1, Latin Extended-A, Greek
// and Cyrillic; no NFC step.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace sd {

struct FoundUrl {
  size_t begin = 0;  // byte range of the whole URL in the text
  size_t end = 0;
  bool has_scheme = false;
  std::string host;           // canonical ASCII form; see above
  std::u32string display;     // as written, for look-alike checks
  bool bad_punycode = false;  // an "xn--" label that does not decode (host keeps it as written)
  bool too_long = false;      // host over 253 bytes or a label over 63 in ASCII form
};

// Calls `visit` for every URL in order; stops early when it returns false. Invalid UTF-8
// bytes are treated as separators.
void ForEachUrl(std::string_view utf8, const std::function<bool(const FoundUrl&)>& visit);
std::vector<FoundUrl> ExtractUrls(std::string_view utf8);

// True when `host` is `domain` or a subdomain of it (both canonical ASCII, lower-case).
bool HostMatchesDomain(std::string_view host, std::string_view domain);

// A domain as an operator or a key scope writes it ("Example.COM", "пример.рф") in canonical
// ASCII form ("example.com", "xn--e1afmkfd.xn--p1ai"); "" when it is not a domain with at
// least two labels. Lists compared against FoundUrl::host must hold this form.
std::string CanonicalDomain(std::string_view written);

// Lower-cases one code point (the subset named above); others are returned unchanged.
char32_t LowerCodePoint(char32_t c);
// Decodes UTF-8 into code points; false when the bytes are not valid UTF-8.
[[nodiscard]] bool DecodeUtf8(std::string_view utf8, std::u32string* out);
// The same check without the output.
bool IsValidUtf8(std::string_view utf8);
void AppendUtf8(char32_t c, std::string* out);

}  // namespace sd
