#include "core/punycode.h"

#include <cstddef>
#include <cstdint>

namespace sd {
namespace {

constexpr uint32_t kBase = 36, kTMin = 1, kTMax = 26, kSkew = 38, kDamp = 700;
constexpr uint32_t kInitialBias = 72, kInitialN = 128;
constexpr size_t kMaxLabel = 63;

uint32_t Adapt(uint32_t delta, uint32_t points, bool first) {
  delta = first ? delta / kDamp : delta / 2;
  delta += delta / points;
  uint32_t k = 0;
  while (delta > ((kBase - kTMin) * kTMax) / 2) {
    delta /= kBase - kTMin;
    k += kBase;
  }
  return k + (kBase - kTMin + 1) * delta / (delta + kSkew);
}

char Digit(uint32_t d) { return static_cast<char>(d < 26 ? 'a' + d : '0' + (d - 26)); }

int DigitValue(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= '0' && c <= '9') return c - '0' + 26;
  return -1;
}

uint32_t Threshold(uint32_t k, uint32_t bias) {
  if (k <= bias) return kTMin;
  if (k >= bias + kTMax) return kTMax;
  return k - bias;
}

}  // namespace

bool PunycodeEncode(std::u32string_view label, std::string* out) {
  out->clear();
  for (char32_t c : label) {
    if (c > 0x10FFFF) return false;
    if (c < 0x80) out->push_back(static_cast<char>(c));
  }
  const uint32_t basic = static_cast<uint32_t>(out->size());
  uint32_t handled = basic;
  if (basic > 0) out->push_back('-');
  uint32_t n = kInitialN, bias = kInitialBias;
  uint64_t delta = 0;
  while (handled < label.size()) {
    uint32_t m = 0x10FFFF + 1;
    for (char32_t c : label) {
      if (c >= n && c < m) m = c;
    }
    delta += static_cast<uint64_t>(m - n) * (handled + 1);
    if (delta > UINT32_MAX) return false;
    n = m;
    for (char32_t c : label) {
      if (c < n && ++delta > UINT32_MAX) return false;
      if (c != n) continue;
      uint32_t q = static_cast<uint32_t>(delta);
      for (uint32_t k = kBase;; k += kBase) {
        const uint32_t t = Threshold(k, bias);
        if (q < t) break;
        out->push_back(Digit(t + (q - t) % (kBase - t)));
        q = (q - t) / (kBase - t);
      }
      out->push_back(Digit(q));
      bias = Adapt(static_cast<uint32_t>(delta), handled + 1, handled == basic);
      delta = 0;
      ++handled;
    }
    ++delta;
    ++n;
  }
  return true;
}

bool PunycodeDecode(std::string_view label, std::u32string* out) {
  out->clear();
  if (label.size() > kMaxLabel) return false;
  const size_t dash = label.rfind('-');
  size_t in = 0;
  if (dash != std::string_view::npos) {
    for (size_t j = 0; j < dash; ++j) {
      if (static_cast<unsigned char>(label[j]) >= 0x80) return false;
      out->push_back(static_cast<char32_t>(label[j]));
    }
    in = dash + 1;
  }
  uint64_t i = 0;
  uint32_t n = kInitialN, bias = kInitialBias;
  while (in < label.size()) {
    const uint64_t old_i = i;
    uint64_t w = 1;
    for (uint32_t k = kBase;; k += kBase) {
      if (in >= label.size()) return false;
      const int d = DigitValue(label[in++]);
      if (d < 0) return false;
      i += static_cast<uint64_t>(d) * w;
      if (i > UINT32_MAX) return false;
      const uint32_t t = Threshold(k, bias);
      if (static_cast<uint32_t>(d) < t) break;
      w *= kBase - t;
      if (w > UINT32_MAX) return false;
    }
    const uint32_t points = static_cast<uint32_t>(out->size() + 1);
    bias = Adapt(static_cast<uint32_t>(i - old_i), points, old_i == 0);
    const uint64_t next = n + i / points;
    if (next > 0x10FFFF || (next >= 0xD800 && next <= 0xDFFF)) return false;
    n = static_cast<uint32_t>(next);
    i %= points;
    out->insert(out->begin() + static_cast<std::ptrdiff_t>(i), static_cast<char32_t>(n));
    ++i;
  }
  return true;
}

}  // namespace sd
