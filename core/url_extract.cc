#include "core/url_extract.h"

namespace sd {
namespace {

constexpr size_t kMaxHostBytes = 253;  // RFC 1035: the longest domain name
constexpr size_t kMaxLabelBytes = 63;
constexpr size_t kMaxSchemeChars = 32;

bool IsAsciiAlpha(char32_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool IsAsciiDigit(char32_t c) { return c >= '0' && c <= '9'; }

using Class = DomainNames::CodePoint;

// ASCII is read here (letters, digits and '-' are host characters, '.' separates labels);
// every other code point is the port's answer under UTS #46. U+FFFD stands for invalid bytes.
Class ClassOf(char32_t c, const DomainNames& names) {
  if (c < 0x80) {
    if (IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '-') return Class::kHost;
    return c == '.' ? Class::kDot : Class::kOther;
  }
  return c == 0xFFFD ? Class::kOther : names.Classify(c);
}

bool IsSchemeChar(char32_t c) {
  return IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '+' || c == '-' || c == '.';
}

// URL path characters: anything printable up to white space. Quotes and angle brackets end a
// URL as they do in mail clients.
bool IsPathChar(char32_t c) {
  return c > 0x20 && c != 0x7F && c != '"' && c != '<' && c != '>' && c != 0xA0 && c != 0x3000 &&
         !(c >= 0x2000 && c <= 0x200B);
}

bool StartsWithXn(std::string_view label) {
  return label.size() > 4 && (label[0] | 0x20) == 'x' && (label[1] | 0x20) == 'n' &&
         label[2] == '-' && label[3] == '-';
}

std::string_view LastLabel(std::string_view host) {
  const size_t dot = host.rfind('.');
  return dot == std::string_view::npos ? host : host.substr(dot + 1);
}

bool TooLongForDns(std::string_view ascii) {
  if (ascii.size() > kMaxHostBytes) return true;
  size_t label = 0;
  for (char c : ascii) {
    label = c == '.' ? 0 : label + 1;
    if (label > kMaxLabelBytes) return true;
  }
  return false;
}

// Resolves a written host. Plain ASCII without "xn--" labels resolves to itself lower-cased
// under UTS #46 (hyphen rules are not checked, as in browsers), so the common case does not
// cross the port.
DomainNames::Name ResolveHost(std::string_view written, const DomainNames& names) {
  bool plain = true;
  size_t from = 0;
  for (size_t i = 0; i <= written.size() && plain; ++i) {
    if (i < written.size() && written[i] != '.') {
      plain = static_cast<unsigned char>(written[i]) < 0x80;
      continue;
    }
    plain = !StartsWithXn(written.substr(from, i - from));
    from = i + 1;
  }
  if (!plain) return names.Resolve(written);
  DomainNames::Name name;
  name.ascii.reserve(written.size());
  for (char c : written)
    name.ascii.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 0x20) : c);
  name.unicode = name.ascii;
  name.too_long = TooLongForDns(name.ascii);
  return name;
}

// Fills the host of `url` from the written host (labels non-empty, separators as '.').
// Returns false when the candidate is not a URL: fewer than two labels without a scheme, or a
// bare host whose top-level label is not a name's.
bool BuildHost(std::string written, size_t labels, bool has_scheme, bool has_path,
               const DomainNames& names, FoundUrl* url) {
  if (!has_scheme && labels < 2) return false;
  DomainNames::Name name = ResolveHost(written, names);
  if (!has_scheme) {
    // A bare host needs a top-level label of letters: ASCII (>= 2, after mapping, so
    // fullwidth "ｃｏｍ" counts), an "xn--" label, or, with a path after it, letters of any
    // script. So "3.50" and "Привет.Как" are not URLs, "пример.рф/путь" is.
    const std::string_view tld = LastLabel(name.problem.empty() ? name.unicode : written);
    bool ascii_alpha = tld.size() >= 2, any_alpha = !tld.empty();
    for (char c : tld) {
      const auto b = static_cast<unsigned char>(c);
      ascii_alpha = ascii_alpha && IsAsciiAlpha(b);
      any_alpha = any_alpha && (IsAsciiAlpha(b) || b >= 0x80);
    }
    if (!ascii_alpha && !StartsWithXn(LastLabel(written)) && !(has_path && any_alpha)) {
      return false;
    }
  }
  url->host = name.problem.empty() ? std::move(name.ascii) : written;
  url->written = std::move(written);
  url->unicode = std::move(name.unicode);
  url->problem = std::move(name.problem);
  url->too_long = name.too_long || url->host.size() > kMaxHostBytes;
  return true;
}

}  // namespace

// Decodes one code point at `*i`; returns U+FFFD (not a host character) for invalid bytes
// and advances by one byte then.
char32_t NextCodePoint(std::string_view s, size_t* i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(*i);
  size_t len = 0;
  char32_t cp = 0;
  if (c < 0x80) {
    ++*i;
    return c;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, cp = c & 0x07;
  } else {
    ++*i;
    return 0xFFFD;
  }
  if (*i + len > s.size()) {
    ++*i;
    return 0xFFFD;
  }
  for (size_t k = 1; k < len; ++k) {
    if ((b(*i + k) & 0xC0) != 0x80) {
      ++*i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b(*i + k) & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++*i;
    return 0xFFFD;
  }
  *i += len;
  return cp;
}

bool DecodeUtf8(std::string_view utf8, std::u32string* out) {
  out->clear();
  size_t i = 0;
  while (i < utf8.size()) {
    const size_t at = i;
    const char32_t c = NextCodePoint(utf8, &i);
    if (c == 0xFFFD && utf8.substr(at, i - at) != "\xEF\xBF\xBD") return false;
    out->push_back(c);
  }
  return true;
}

bool IsValidUtf8(std::string_view utf8) {
  size_t i = 0;
  while (i < utf8.size()) {
    const size_t at = i;
    if (NextCodePoint(utf8, &i) == 0xFFFD && utf8.substr(at, i - at) != "\xEF\xBF\xBD") {
      return false;
    }
  }
  return true;
}

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

bool HostMatchesDomain(std::string_view host, std::string_view domain) {
  if (domain.empty() || host.size() < domain.size()) return false;
  if (host.substr(host.size() - domain.size()) != domain) return false;
  return host.size() == domain.size() || host[host.size() - domain.size() - 1] == '.';
}

namespace {

// The text decoded once: code points, their class, and the byte offset of each (plus the end)
// for the reported ranges.
struct DecodedText {
  std::u32string cps;
  std::vector<Class> cls;
  std::vector<size_t> at;
  size_t size() const { return cps.size(); }
  bool dot(size_t k) const { return cls[k] == Class::kDot; }
};

DecodedText Decode(std::string_view s, const DomainNames& names) {
  DecodedText t;
  t.cps.reserve(s.size());
  t.cls.reserve(s.size());
  t.at.reserve(s.size() + 1);
  for (size_t i = 0; i < s.size();) {
    t.at.push_back(i);
    const char32_t c = NextCodePoint(s, &i);
    t.cps.push_back(c);
    t.cls.push_back(ClassOf(c, names));
  }
  t.at.push_back(s.size());
  return t;
}

// Where the host of a candidate starting at `i` begins: after "scheme://" and any userinfo
// (in "https://paypal.com@evil.example/" the host is after the last '@' of the authority).
size_t HostStart(const DecodedText& t, size_t i, bool* has_scheme) {
  *has_scheme = false;
  if (!IsAsciiAlpha(t.cps[i])) return i;
  const size_t n = t.size();
  size_t k = i;
  // Schemes are short; the bound keeps "a+a+a+..." (every 'a' a word start) linear.
  while (k < n && k - i < kMaxSchemeChars && IsSchemeChar(t.cps[k])) ++k;
  if (!(k + 2 < n && t.cps[k] == ':' && t.cps[k + 1] == '/' && t.cps[k + 2] == '/')) return i;
  *has_scheme = true;
  size_t h = k + 3;
  for (size_t a = h;
       a < n && IsPathChar(t.cps[a]) && t.cps[a] != '/' && t.cps[a] != '?' && t.cps[a] != '#';
       ++a) {
    if (t.cps[a] == '@') h = a + 1;
  }
  return h;
}

// The labels and separators from `h`; trailing separators belong to the sentence.
struct HostSpan {
  size_t end = 0;
  size_t labels = 0;
  bool empty_label = false;
};

HostSpan ScanHost(const DecodedText& t, size_t h) {
  HostSpan span;
  size_t k = h;
  while (k < t.size() && t.cls[k] != Class::kOther) ++k;
  while (k > h && t.dot(k - 1)) --k;
  span.end = k;
  if (k == h) return span;
  span.labels = 1;
  for (size_t c = h; c < k; ++c) {
    if (!t.dot(c)) continue;
    ++span.labels;
    span.empty_label = span.empty_label || c == h || t.dot(c - 1);
  }
  return span;
}

// The host as written, separators as '.'.
std::string WrittenHost(const DecodedText& t, size_t h, size_t end) {
  std::string written;
  written.reserve(t.at[end] - t.at[h]);
  for (size_t c = h; c < end; ++c) {
    if (t.dot(c)) {
      written.push_back('.');
    } else {
      AppendUtf8(t.cps[c], &written);
    }
  }
  return written;
}

}  // namespace

void ForEachUrl(std::string_view s, const DomainNames& names,
                const std::function<bool(const FoundUrl&)>& visit) {
  // Every host has a dot or comes after "://": most ASCII texts (codes, notices) have
  // neither, and then there is nothing to decode. Other texts are read in full, since which
  // non-ASCII code points separate labels is the library's answer.
  if (s.find('.') == std::string_view::npos && s.find("://") == std::string_view::npos) {
    bool ascii = true;
    for (char c : s) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    if (ascii) return;
  }
  const DecodedText t = Decode(s, names);
  const size_t n = t.size();
  size_t i = 0;
  while (i < n) {
    if (t.cls[i] != Class::kHost || (i > 0 && t.cls[i - 1] != Class::kOther)) {
      ++i;  // only the start of a word can start a URL
      continue;
    }
    // After '@': an e-mail domain ("bob@x.com") is not a URL, but "paypal.com@evil.example/x"
    // is one whose host is evil.example, so a host after '@' counts when a path follows it.
    const bool after_at = i > 0 && t.cps[i - 1] == '@';
    const size_t start = i;
    bool has_scheme = false;
    const size_t h = HostStart(t, i, &has_scheme);
    const HostSpan host = ScanHost(t, h);
    size_t end = host.end;
    const bool has_path = end < n && (t.cps[end] == '/' || t.cps[end] == ':' || t.cps[end] == '?' ||
                                      t.cps[end] == '#');
    if (has_path) {
      while (end < n && IsPathChar(t.cps[end])) ++end;
    }
    // A bare host followed by '@' is an e-mail's local part or userinfo, not the host.
    const bool is_userinfo = !has_scheme && host.end < n && t.cps[host.end] == '@';
    FoundUrl url;
    url.has_scheme = has_scheme;
    const bool found =
        host.end > h && !host.empty_label && !is_userinfo &&
        (!after_at || has_scheme || has_path) &&
        BuildHost(WrittenHost(t, h, host.end), host.labels, has_scheme, has_path, names, &url);
    if (found) {
      url.begin = t.at[start];
      url.end = t.at[end];
      if (!visit(url)) return;
      i = end;
    } else {
      i = host.end > start ? host.end : start + 1;  // consume the candidate: linear time
    }
  }
}

std::string CanonicalDomain(std::string_view written, const DomainNames& names) {
  if (written.empty() || written.size() > 253) return {};
  for (char c : written) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '/' || c == ':' || c == '?' || c == '#' ||
        c == '@') {
      return {};
    }
  }
  const std::string as_url = "https://" + std::string(written);
  auto urls = ExtractUrls(as_url, names);
  // The whole string must be one valid host with at least two labels and nothing left over.
  if (urls.size() != 1 || urls[0].begin != 0 || urls[0].end != as_url.size() ||
      !urls[0].problem.empty() || urls[0].too_long || urls[0].host.find('.') == std::string::npos) {
    return {};
  }
  return urls[0].host;
}

std::vector<FoundUrl> ExtractUrls(std::string_view utf8, const DomainNames& names) {
  std::vector<FoundUrl> out;
  ForEachUrl(utf8, names, [&](const FoundUrl& u) {
    out.push_back(u);
    return true;
  });
  return out;
}

}  // namespace sd
