#include "core/url_extract.h"

#include "core/punycode.h"

namespace sd {
namespace {

constexpr size_t kMaxHostBytes = 253;  // RFC 1035: the longest domain name
constexpr size_t kMaxLabelBytes = 63;
constexpr size_t kMaxSchemeChars = 32;

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

bool IsAsciiAlpha(char32_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool IsAsciiDigit(char32_t c) { return c >= '0' && c <= '9'; }

// Fullwidth ASCII letters and digits (U+FF10..U+FF5A) fold to ASCII, as IDNA maps them.
char32_t FoldWidth(char32_t c) {
  if ((c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) ||
      (c >= 0xFF41 && c <= 0xFF5A)) {
    return c - 0xFF10 + '0';
  }
  // Mathematical alphanumerics (bold "𝐩", italic, script, ...): 52 letters per style from
  // U+1D400, then digits in runs of ten from U+1D7CE; IDNA maps them to ASCII.
  if (c >= 0x1D400 && c <= 0x1D6A3) {
    const char32_t i = (c - 0x1D400) % 52;
    return i < 26 ? U'A' + i : U'a' + (i - 26);
  }
  if (c >= 0x1D7CE && c <= 0x1D7FF) return U'0' + (c - 0x1D7CE) % 10;
  return c;
}

bool IsDot(char32_t c) { return c == '.' || c == 0x3002 || c == 0xFF0E || c == 0xFF61; }

// Letters of the scripts a domain label is written in. Emoji, symbols and punctuation are not
// host characters, so "🎉bit.ly" yields "bit.ly".
bool IsNonAsciiLetter(char32_t c) {
  return (c >= 0xC0 && c <= 0x2AF && c != 0xD7 && c != 0xF7) ||     // Latin-1 .. IPA Extensions
         (c >= 0x300 && c <= 0x36F) ||                              // combining marks
         (c >= 0x370 && c <= 0x3FF && c != 0x37E && c != 0x387) ||  // Greek
         (c >= 0x400 && c <= 0x52F) ||                              // Cyrillic
         (c >= 0x531 && c <= 0x587) ||                              // Armenian
         (c >= 0x5D0 && c <= 0x5EA) ||                              // Hebrew
         (c >= 0x620 && c <= 0x64A) ||                              // Arabic letters
         (c >= 0x900 && c <= 0xDFF) ||                              // Indic
         (c >= 0xE01 && c <= 0xE3A) ||                              // Thai
         (c >= 0x1E00 && c <= 0x1FFF) ||                            // Latin/Greek extended
         (c >= 0x3041 && c <= 0x30FF) ||                            // kana
         (c >= 0x4E00 && c <= 0x9FFF) ||                            // CJK ideographs
         (c >= 0xAC00 && c <= 0xD7A3);                              // Hangul
}

bool IsLabelChar(char32_t c) {
  return IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '-' || IsNonAsciiLetter(c);
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

bool StartsWithXn(std::u32string_view label) {
  return label.size() > 4 && (label[0] | 0x20) == 'x' && (label[1] | 0x20) == 'n' &&
         label[2] == '-' && label[3] == '-';
}

// Builds both host forms from the labels as written. Returns false when the candidate is
// not a host (an empty label, fewer than two labels without a scheme, a bad top-level label).
bool BuildHost(const std::vector<std::u32string_view>& labels, bool has_scheme, bool has_path,
               FoundUrl* url) {
  if (labels.empty()) return false;
  if (!has_scheme && labels.size() < 2) return false;
  for (const auto& l : labels) {
    if (l.empty()) return false;
  }
  const std::u32string_view tld = labels.back();
  if (!has_scheme) {
    // A bare host needs a top-level label of letters: ASCII (>= 2), an "xn--" label, or, with
    // a path after it, letters of any script. So "3.50" and "Привет.Как" are not URLs.
    bool ascii_alpha = tld.size() >= 2, any_alpha = true;
    for (char32_t c : tld) {
      ascii_alpha = ascii_alpha && IsAsciiAlpha(c);
      any_alpha = any_alpha && (IsAsciiAlpha(c) || IsNonAsciiLetter(c));
    }
    if (!ascii_alpha && !StartsWithXn(tld) && !(has_path && any_alpha)) return false;
  }
  for (size_t li = 0; li < labels.size(); ++li) {
    const std::u32string_view label = labels[li];
    if (li > 0) {
      url->host.push_back('.');
      url->display.push_back('.');
    }
    std::u32string lower;
    bool ascii = true;
    for (char32_t c : label) {
      lower.push_back(LowerCodePoint(c));
      ascii = ascii && c < 0x80;
    }
    if (ascii) {
      const size_t from = url->host.size();
      for (char32_t c : lower) url->host.push_back(static_cast<char>(c));
      if (StartsWithXn(lower)) {
        std::u32string decoded;
        if (PunycodeDecode(std::string_view(url->host).substr(from + 4), &decoded)) {
          url->display += decoded;
          continue;
        }
        url->bad_punycode = true;
      }
      url->display += label;
      if (label.size() > kMaxLabelBytes) url->too_long = true;
    } else {
      std::string encoded;
      if (!PunycodeEncode(lower, &encoded)) return false;
      url->host += "xn--" + encoded;
      url->display += label;
      if (encoded.size() + 4 > kMaxLabelBytes) url->too_long = true;
    }
  }
  if (url->host.size() > kMaxHostBytes) url->too_long = true;
  return true;
}

}  // namespace

char32_t LowerCodePoint(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 0x20;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;  // Latin-1
  if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 &&
      c != 0x178 && c != 0x17F) {
    // Latin Extended-A alternates upper/lower, with the pairing shifted in 0x139..0x148 and
    // 0x179..0x17E.
    const bool shifted = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    const bool upper = shifted ? (c % 2 == 1) : (c % 2 == 0);
    return upper ? c + 1 : c;
  }
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 0x20;  // Greek
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;                // Cyrillic basic
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;                // Cyrillic Ѐ..Џ
  if (c == 0x4C0) return 0x4CF;                                 // palochka
  if (c >= 0x4C1 && c <= 0x4CE) return c % 2 == 1 ? c + 1 : c;
  if (c >= 0x460 && c <= 0x52F && c % 2 == 0 && !(c >= 0x482 && c <= 0x489) &&
      !(c >= 0x4C0 && c <= 0x4CF)) {
    return c + 1;  // Cyrillic extended pairs
  }
  return c;
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

void ForEachUrl(std::string_view s, const std::function<bool(const FoundUrl&)>& visit) {
  // Every host has a dot or comes after "://": most texts (codes, notices) have neither, and
  // then there is nothing to decode.
  if (s.find('.') == std::string_view::npos && s.find("://") == std::string_view::npos &&
      s.find("\xE3\x80\x82") == std::string_view::npos &&  // U+3002
      s.find("\xEF\xBC\x8E") == std::string_view::npos &&  // U+FF0E
      s.find("\xEF\xBD\xA1") == std::string_view::npos) {  // U+FF61
    return;
  }
  // Decode once: positions in code points, offsets back to bytes for the reported range.
  std::u32string cps;
  std::vector<size_t> at;  // byte offset of each code point, plus the end
  cps.reserve(s.size());
  at.reserve(s.size() + 1);
  for (size_t i = 0; i < s.size();) {
    at.push_back(i);
    cps.push_back(FoldWidth(NextCodePoint(s, &i)));
  }
  at.push_back(s.size());
  const size_t n = cps.size();
  const std::u32string_view text(cps);
  std::vector<std::u32string_view> labels;

  size_t i = 0;
  while (i < n) {
    if (!IsLabelChar(cps[i]) || (i > 0 && (IsLabelChar(cps[i - 1]) || IsDot(cps[i - 1])))) {
      ++i;  // only the start of a word can start a URL
      continue;
    }
    // After '@': an e-mail domain ("bob@x.com") is not a URL, but "paypal.com@evil.example/x"
    // is one whose host is evil.example, so a host after '@' counts when a path follows it.
    const bool after_at = i > 0 && cps[i - 1] == '@';
    const size_t start = i;
    size_t h = i;
    bool has_scheme = false;
    if (IsAsciiAlpha(cps[i])) {
      size_t k = i;
      // Schemes are short; the bound keeps "a+a+a+..." (every 'a' a word start) linear.
      while (k < n && k - i < kMaxSchemeChars && IsSchemeChar(cps[k])) ++k;
      if (k + 2 < n && cps[k] == ':' && cps[k + 1] == '/' && cps[k + 2] == '/') {
        has_scheme = true;
        h = k + 3;
        // Userinfo: in "https://paypal.com@evil.example/" the host is after the last '@'
        // of the authority.
        for (size_t a = h;
             a < n && IsPathChar(cps[a]) && cps[a] != '/' && cps[a] != '?' && cps[a] != '#'; ++a) {
          if (cps[a] == '@') h = a + 1;
        }
      }
    }
    // Labels and dots; a trailing dot belongs to the sentence, not the host.
    // Views into `cps`, in a vector reused across candidates: most words are single-label
    // candidates, and refusing them must not allocate.
    labels.clear();
    size_t k = h, label_start = h;
    while (k < n && (IsLabelChar(cps[k]) || IsDot(cps[k]))) {
      if (IsDot(cps[k])) {
        labels.push_back(text.substr(label_start, k - label_start));
        label_start = k + 1;
      }
      ++k;
    }
    labels.push_back(text.substr(label_start, k - label_start));
    size_t host_end = k;
    while (labels.size() > 1 && labels.back().empty() && host_end > h && IsDot(cps[host_end - 1])) {
      labels.pop_back();
      --host_end;
    }
    size_t end = host_end;
    const bool has_path =
        end < n && (cps[end] == '/' || cps[end] == ':' || cps[end] == '?' || cps[end] == '#');
    if (has_path) {
      while (end < n && IsPathChar(cps[end])) ++end;
    }
    // A bare host followed by '@' is an e-mail's local part or userinfo, not the host.
    const bool is_userinfo = !has_scheme && host_end < n && cps[host_end] == '@';
    FoundUrl url;
    url.has_scheme = has_scheme;
    if (host_end > h && !is_userinfo && (!after_at || has_scheme || has_path) &&
        BuildHost(labels, has_scheme, has_path, &url)) {
      url.begin = at[start];
      url.end = at[end];
      if (!visit(url)) return;
      i = end;
    } else {
      i = host_end > start ? host_end : start + 1;  // consume the candidate: linear time
    }
  }
}

std::string CanonicalDomain(std::string_view written) {
  if (written.empty() || written.size() > 253) return {};
  for (char c : written) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '/' || c == ':' || c == '?' || c == '#' ||
        c == '@') {
      return {};
    }
  }
  const std::string as_url = "https://" + std::string(written);
  auto urls = ExtractUrls(as_url);
  // The whole string must be one host with at least two labels and nothing left over.
  if (urls.size() != 1 || urls[0].begin != 0 || urls[0].end != as_url.size() ||
      urls[0].bad_punycode || urls[0].too_long || urls[0].host.find('.') == std::string::npos) {
    return {};
  }
  return urls[0].host;
}

std::vector<FoundUrl> ExtractUrls(std::string_view utf8) {
  std::vector<FoundUrl> out;
  ForEachUrl(utf8, [&](const FoundUrl& u) {
    out.push_back(u);
    return true;
  });
  return out;
}

}  // namespace sd
