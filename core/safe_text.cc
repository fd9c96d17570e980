#include "core/safe_text.h"

#include "core/log_safe.h"

namespace sd {

// Decodes in place rather than through DecodeUtf8 (core/url_extract.h): every entry's kid
// passes here on the decision's hot path, which allocates nothing before the MAC.
bool IsPlainText(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    size_t n = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 2, cp = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 3, cp = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;  // a continuation byte first, C0/C1 (overlong), or beyond U+10FFFF
    }
    if (s.size() - i < n) return false;
    for (size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3f);
    }
    const bool overlong = cp < min;
    const bool surrogate = cp >= 0xd800 && cp <= 0xdfff;
    const bool c1_control = cp <= 0x9f;  // U+0080-U+009F (two-byte forms only reach here)
    if (overlong || surrogate || cp > 0x10ffff || c1_control) return false;
    i += n;
  }
  return true;
}

std::string EscapeBytes(std::string_view s, size_t max_bytes) {
  std::string out;
  AppendEscaped(out, s, max_bytes);  // the one escaping rule, shared with the logs
  return out;
}

std::string PlainOrEscaped(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes && IsPlainText(s)) return std::string(s);
  return EscapeBytes(s, max_bytes);
}

}  // namespace sd
