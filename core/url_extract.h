#pragma once
// Finds URLs in message text: with a scheme ("https://x.example/p") and bare ("bit.ly/x",
// "example.com/path", "www.example.com", "example.com"). One linear pass over the text; every
// candidate is consumed whole, so no input makes it quadratic.
//
// Hosts are read by UTS #46 through the DomainNames port (core/domain_names.h): which
// non-ASCII code points belong to a host and which separate labels is the library's answer,
// so "pɑypal.com" (U+0251) and "𝐩aypal.com" (U+1D429) are whole hosts and "paypal。com" has
// two labels. Each host is reported as written, resolved (ASCII and Unicode) and, if it is
// not a valid domain name, with the reason.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain_names.h"

namespace sd {

struct FoundUrl {
  size_t begin = 0;  // byte range of the whole URL in the text
  size_t end = 0;
  bool has_scheme = false;
  // The canonical ASCII form every list is compared in (UTS #46 ToASCII: lower-case, "xn--"
  // labels). When the host is not a valid domain name (`problem`), the written form.
  std::string host;
  std::string written;    // as in the text (UTF-8), separators written as '.'
  std::string unicode;    // UTS #46 ToUnicode: mapped, "xn--" labels decoded
  std::string problem;    // why it is not a valid domain name ("bad punycode", ...); "" if valid
  bool too_long = false;  // host over 253 bytes or a label over 63 in ASCII form
};

// Calls `visit` for every URL in order; stops early when it returns false. Invalid UTF-8
// bytes are treated as separators.
void ForEachUrl(std::string_view utf8, const DomainNames& names,
                const std::function<bool(const FoundUrl&)>& visit);
std::vector<FoundUrl> ExtractUrls(std::string_view utf8, const DomainNames& names);

// True when `host` is `domain` or a subdomain of it (both canonical ASCII, lower-case).
bool HostMatchesDomain(std::string_view host, std::string_view domain);

// A domain as an operator or a key scope writes it ("Example.COM", "пример.рф") in canonical
// ASCII form ("example.com", "xn--e1afmkfd.xn--p1ai"); "" when it is not a domain with at
// least two labels. Lists compared against FoundUrl::host must hold this form.
std::string CanonicalDomain(std::string_view written, const DomainNames& names);

// One code point at `*i`, advancing past it; U+FFFD for an invalid sequence (overlong,
// surrogate, truncated, beyond U+10FFFF), advancing by one byte then.
char32_t NextCodePoint(std::string_view s, size_t* i);
// Decodes UTF-8 into code points; false when the bytes are not valid UTF-8.
[[nodiscard]] bool DecodeUtf8(std::string_view utf8, std::u32string* out);
// The same check without the output.
bool IsValidUtf8(std::string_view utf8);
void AppendUtf8(char32_t c, std::string* out);

}  // namespace sd
