#include "core/safe_text.h"

#include <algorithm>

#include "core/url_extract.h"

namespace sd {

bool IsPlainText(std::string_view s) {
  std::u32string cps;
  if (!DecodeUtf8(s, &cps)) return false;
  for (char32_t c : cps) {
    if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) return false;
  }
  return true;
}

std::string EscapeBytes(std::string_view s, size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(max_bytes, s.size()));
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      if (out.size() + 1 > max_bytes) break;
      out.push_back(ch);
    } else {
      if (out.size() + 4 > max_bytes) break;
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string PlainOrEscaped(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes && IsPlainText(s)) return std::string(s);
  return EscapeBytes(s, max_bytes);
}

}  // namespace sd
