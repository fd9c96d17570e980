#include "core/cidr.h"

#include <charconv>
#include <cstring>
#include <string>

namespace sd {
namespace {

// Textual addresses are parsed here rather than with inet_pton: core includes no socket
// header (scripts/check_layers.sh), and the grammar is small. Both follow RFC 4291 2.2 and
// the dotted-quad form; a part with a leading zero ("010") is refused rather than read as
// octal or decimal, so an allowlist entry means one thing.

// "a.b.c.d" into 4 bytes.
bool ParseV4(std::string_view s, uint8_t* out) {
  int part = 0;
  size_t i = 0;
  while (part < 4) {
    size_t j = i;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9' && j - i < 4) ++j;
    if (j == i || j - i > 3 || (j - i > 1 && s[i] == '0')) return false;
    int v = 0;
    std::from_chars(s.data() + i, s.data() + j, v);
    if (v > 255) return false;
    out[part++] = static_cast<uint8_t>(v);
    if (part < 4) {
      if (j >= s.size() || s[j] != '.') return false;
      ++j;
    }
    i = j;
  }
  return i == s.size();
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 4291 text: up to 8 groups of 1-4 hex digits, one "::" for a run of zero groups, and an
// optional dotted quad as the last 32 bits.
bool ParseV6(std::string_view s, uint8_t* out) {
  uint16_t groups[8] = {};
  int n = 0;
  int gap = -1;  // where "::" was, in groups
  size_t i = 0;
  if (s.substr(0, 2) == "::") {
    gap = 0;
    i = 2;
  } else if (!s.empty() && s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    if (n == 8) return false;
    const size_t dot = s.find('.', i);
    const size_t colon = s.find(':', i);
    if (dot != std::string_view::npos && (colon == std::string_view::npos || dot < colon)) {
      uint8_t v4[4];
      if (n > 6 || !ParseV4(s.substr(i), v4)) return false;
      groups[n++] = static_cast<uint16_t>(v4[0] << 8 | v4[1]);
      groups[n++] = static_cast<uint16_t>(v4[2] << 8 | v4[3]);
      i = s.size();
      break;
    }
    size_t j = i;
    uint32_t v = 0;
    while (j < s.size() && HexDigit(s[j]) >= 0 && j - i < 5) v = v * 16 + static_cast<uint32_t>(HexDigit(s[j++]));
    if (j == i || j - i > 4) return false;
    groups[n++] = static_cast<uint16_t>(v);
    if (j == s.size()) {
      i = j;
      break;
    }
    if (s[j] != ':') return false;
    if (j + 1 < s.size() && s[j + 1] == ':') {
      if (gap >= 0) return false;
      gap = n;
      i = j + 2;
    } else {
      if (j + 1 == s.size()) return false;  // a trailing single ':'
      i = j + 1;
    }
  }
  if (gap < 0 ? n != 8 : n > 7) return false;
  uint16_t full[8] = {};
  const int tail = gap < 0 ? 0 : n - gap;
  for (int k = 0; k < (gap < 0 ? n : gap); ++k) full[k] = groups[k];
  for (int k = 0; k < tail; ++k) full[8 - tail + k] = groups[gap + k];
  for (int k = 0; k < 8; ++k) {
    out[2 * k] = static_cast<uint8_t>(full[k] >> 8);
    out[2 * k + 1] = static_cast<uint8_t>(full[k] & 0xff);
  }
  return true;
}

// The address's bytes; v6 set for IPv6 (IPv4-mapped ones are turned into IPv4).
bool ParseAddress(std::string_view text, bool* v6, std::array<uint8_t, 16>* out) {
  out->fill(0);
  if (text.find(':') == std::string_view::npos) {
    *v6 = false;
    return ParseV4(text, out->data());
  }
  if (!ParseV6(text, out->data())) return false;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(out->data(), kMapped, 12) == 0) {
    std::memmove(out->data(), out->data() + 12, 4);
    std::memset(out->data() + 4, 0, 12);
    *v6 = false;
    return true;
  }
  *v6 = true;
  return true;
}

bool InRange(const std::array<uint8_t, 16>& a, const Cidr& c) {
  int bits = c.prefix;
  for (size_t i = 0; bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (c.bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace

std::optional<Cidr> ParseCidr(std::string_view text) {
  const size_t slash = text.find('/');
  Cidr c;
  if (!ParseAddress(text.substr(0, slash), &c.v6, &c.bytes)) return std::nullopt;
  const int max = c.v6 ? 128 : 32;
  c.prefix = max;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    int v = -1;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || v < 0 || v > max) {
      return std::nullopt;
    }
    c.prefix = v;
  }
  return c;
}

bool AddressAllowed(std::string_view address, const std::vector<Cidr>& ranges) {
  bool v6 = false;
  std::array<uint8_t, 16> a{};
  if (!ParseAddress(address, &v6, &a)) return false;
  for (const Cidr& c : ranges) {
    if (c.v6 == v6 && InRange(a, c)) return true;
  }
  return false;
}

}  // namespace sd
