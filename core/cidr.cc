#include "core/cidr.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace sd {
namespace {

// The address's bytes; v6 set for IPv6 (IPv4-mapped ones are turned into IPv4).
bool ParseAddress(const std::string& text, bool* v6, std::array<uint8_t, 16>* out) {
  out->fill(0);
  if (inet_pton(AF_INET, text.c_str(), out->data()) == 1) {
    *v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), out->data()) != 1) return false;
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
  if (!ParseAddress(std::string(text.substr(0, slash)), &c.v6, &c.bytes)) return std::nullopt;
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
  if (!ParseAddress(std::string(address), &v6, &a)) return false;
  for (const Cidr& c : ranges) {
    if (c.v6 == v6 && InRange(a, c)) return true;
  }
  return false;
}

}  // namespace sd
