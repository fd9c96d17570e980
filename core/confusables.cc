#include "core/confusables.h"

#include <algorithm>

#include "core/url_extract.h"

namespace sd {
namespace {

struct Confusable {
  char32_t from;
  char to;
};

// Sorted by code point for binary search. Cyrillic and Greek lower-case letters shaped like
// Latin ones, a few upper-case ones whose lower-case forms differ in shape, digits, accented
// Latin vowels and consonants.
constexpr Confusable kMap[] = {
    {U'0', 'o'},  {U'1', 'l'},  {U'3', 'e'},  {U'5', 's'},  {U'I', 'l'},  {U'|', 'l'},
    {0xE0, 'a'},  {0xE1, 'a'},  {0xE2, 'a'},  {0xE3, 'a'},  {0xE4, 'a'},  {0xE5, 'a'},
    {0xE7, 'c'},  {0xE8, 'e'},  {0xE9, 'e'},  {0xEA, 'e'},  {0xEB, 'e'},  {0xEC, 'i'},
    {0xED, 'i'},  {0xEE, 'i'},  {0xEF, 'i'},  {0xF1, 'n'},  {0xF2, 'o'},  {0xF3, 'o'},
    {0xF4, 'o'},  {0xF5, 'o'},  {0xF6, 'o'},  {0xF8, 'o'},  {0xF9, 'u'},  {0xFA, 'u'},
    {0xFB, 'u'},  {0xFC, 'u'},  {0xFD, 'y'},  {0xFF, 'y'},  {0x131, 'i'}, {0x142, 'l'},
    {0x251, 'a'}, {0x261, 'g'}, {0x3B1, 'a'}, {0x3B7, 'n'}, {0x3B9, 'i'}, {0x3BA, 'k'},
    {0x3BD, 'v'}, {0x3BF, 'o'}, {0x3C1, 'p'}, {0x3C5, 'u'}, {0x3C7, 'x'}, {0x430, 'a'},
    {0x435, 'e'}, {0x43E, 'o'}, {0x440, 'p'}, {0x441, 'c'}, {0x443, 'y'}, {0x445, 'x'},
    {0x455, 's'}, {0x456, 'i'}, {0x458, 'j'}, {0x4BB, 'h'}, {0x4CF, 'l'}, {0x501, 'd'},
    {0x51B, 'q'}, {0x51D, 'w'},
};

bool IsCombiningMark(char32_t c) { return c >= 0x300 && c <= 0x36F; }

enum class Script { kNone, kLatin, kGreek, kCyrillic, kCjk, kOther };

Script ScriptOf(char32_t c) {
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return Script::kLatin;
  if (c < 0x80 || IsCombiningMark(c)) return Script::kNone;
  if ((c >= 0xC0 && c <= 0x24F) || (c >= 0x1E00 && c <= 0x1EFF)) return Script::kLatin;
  if ((c >= 0x370 && c <= 0x3FF) || (c >= 0x1F00 && c <= 0x1FFF)) return Script::kGreek;
  if (c >= 0x400 && c <= 0x52F) return Script::kCyrillic;
  if ((c >= 0x3041 && c <= 0x30FF) || (c >= 0x4E00 && c <= 0x9FFF) ||
      (c >= 0xAC00 && c <= 0xD7A3)) {
    return Script::kCjk;  // Han, kana, Hangul
  }
  return Script::kOther;
}

size_t LabelCount(std::string_view domain) {
  return static_cast<size_t>(std::count(domain.begin(), domain.end(), '.')) + 1;
}

}  // namespace

std::string Skeleton(std::u32string_view written) {
  std::string out;
  out.reserve(written.size());
  for (char32_t c : written) {
    if (IsCombiningMark(c)) continue;  // "é" written as e + U+0301 looks like e
    if (c != U'I') c = LowerCodePoint(c);
    const auto it = std::lower_bound(std::begin(kMap), std::end(kMap), c,
                                     [](const Confusable& m, char32_t v) { return m.from < v; });
    if (it != std::end(kMap) && it->from == c) {
      out.push_back(it->to);
    } else {
      AppendUtf8(c, &out);
    }
  }
  // Letter pairs that render as one letter.
  for (size_t p = 0; (p = out.find("rn", p)) != std::string::npos;) out.replace(p, 2, "m");
  for (size_t p = 0; (p = out.find("vv", p)) != std::string::npos;) out.replace(p, 2, "w");
  return out;
}

bool IsMixedScript(std::u32string_view label) {
  // As TR39's "highly restrictive" level: one script per label, except that Latin may go with
  // Han, kana and Hangul (common in Japanese, Chinese and Korean names, and not confusable).
  bool latin = false, cjk = false;
  Script other = Script::kNone;  // the one non-Latin, non-CJK script seen
  for (char32_t c : label) {
    const Script s = ScriptOf(c);
    if (s == Script::kLatin) {
      latin = true;
    } else if (s == Script::kCjk) {
      cjk = true;
    } else if (s != Script::kNone) {
      if (other != Script::kNone && other != s) return true;
      other = s;
    }
  }
  return other != Script::kNone && (latin || cjk);
}

std::string_view ImitatedDomain(std::string_view host, std::u32string_view display,
                                const std::vector<std::string>& protected_domains) {
  // Split the written host into labels once.
  std::vector<std::u32string_view> labels;
  size_t from = 0;
  for (size_t i = 0; i <= display.size(); ++i) {
    if (i == display.size() || display[i] == U'.') {
      labels.push_back(display.substr(from, i - from));
      from = i + 1;
    }
  }
  for (const std::string& domain : protected_domains) {
    if (HostMatchesDomain(host, domain)) return {};  // the genuine domain or a subdomain
  }
  // The tail skeleton depends only on the label count: compute it once per count.
  size_t tail_labels = 0;
  std::string tail_skeleton;
  for (const std::string& domain : protected_domains) {
    const size_t want = LabelCount(domain);
    if (labels.size() < want) continue;
    if (want != tail_labels) {
      // The last `want` labels as written: "login.pаypal.com" imitates "paypal.com".
      std::u32string tail;
      for (size_t i = labels.size() - want; i < labels.size(); ++i) {
        if (i > labels.size() - want) tail.push_back(U'.');
        tail.append(labels[i]);
      }
      tail_skeleton = Skeleton(tail);
      tail_labels = want;
    }
    const std::u32string domain_cps(domain.begin(), domain.end());
    if (tail_skeleton == Skeleton(domain_cps)) return domain;
  }
  return {};
}

}  // namespace sd
