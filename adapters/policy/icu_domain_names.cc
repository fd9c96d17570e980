#include "adapters/policy/icu_domain_names.h"

#include <unicode/uchar.h>
#include <unicode/uidna.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include <cstdio>
#include <cstdlib>

namespace sd {
namespace {

// The WHATWG URL standard's "domain to ASCII": nontransitional (ß and ς are kept, as browsers
// resolve them), CheckBidi, CheckJoiners, and no CheckHyphens or STD3 rules (ASCII
// punctuation never reaches Resolve: core ends a host there).
constexpr uint32_t kIdnaOptions = UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ |
                                  UIDNA_NONTRANSITIONAL_TO_ASCII | UIDNA_NONTRANSITIONAL_TO_UNICODE;
// Errors browsers ignore (CheckHyphens = false): "ab--cd.com" and "-x.com" resolve.
constexpr uint32_t kIgnoredErrors =
    UIDNA_ERROR_LEADING_HYPHEN | UIDNA_ERROR_TRAILING_HYPHEN | UIDNA_ERROR_HYPHEN_3_4;
constexpr uint32_t kLengthErrors = UIDNA_ERROR_LABEL_TOO_LONG | UIDNA_ERROR_DOMAIN_NAME_TOO_LONG;

[[noreturn]] void Fail(const char* what, UErrorCode e) {
  std::fprintf(stderr, "smsdispatch: ICU %s failed: %s\n", what, u_errorName(e));
  std::abort();
}

// The first problem, in words an operator reads in an outcome's detail.
const char* Problem(uint32_t errors) {
  if (errors & (UIDNA_ERROR_PUNYCODE | UIDNA_ERROR_INVALID_ACE_LABEL)) return "bad punycode";
  if (errors & UIDNA_ERROR_DISALLOWED) return "disallowed character";
  if (errors & UIDNA_ERROR_EMPTY_LABEL) return "empty label";
  if (errors & UIDNA_ERROR_LEADING_COMBINING_MARK) return "label starts with a combining mark";
  if (errors & UIDNA_ERROR_CONTEXTJ) return "misplaced joiner";
  if (errors & UIDNA_ERROR_BIDI) return "breaks the bidi rule";
  if (errors & UIDNA_ERROR_LABEL_HAS_DOT) return "label has a dot";
  return "not a valid domain name";
}

// Runs one of ICU's UTF-8 name conversions, growing the buffer once if it was short.
template <typename Fn>
std::string Convert(Fn fn, std::string_view in, UIDNAInfo* info) {
  std::string out(in.size() * 2 + 16, '\0');
  for (int attempt = 0; attempt < 2; ++attempt) {
    UErrorCode e = U_ZERO_ERROR;
    *info = UIDNA_INFO_INITIALIZER;
    const int32_t n = fn(in.data(), static_cast<int32_t>(in.size()), out.data(),
                         static_cast<int32_t>(out.size()), info, &e);
    if (e == U_BUFFER_OVERFLOW_ERROR) {
      out.assign(static_cast<size_t>(n) + 1, '\0');
      continue;
    }
    if (U_FAILURE(e)) {
      info->errors |= UIDNA_ERROR_DISALLOWED;  // e.g. invalid UTF-8: never a valid host
      return {};
    }
    out.resize(static_cast<size_t>(n));
    return out;
  }
  info->errors |= UIDNA_ERROR_DISALLOWED;
  return {};
}

bool TooLongForDns(std::string_view ascii) {
  if (ascii.size() > 253) return true;
  size_t label = 0;
  for (char c : ascii) {
    label = c == '.' ? 0 : label + 1;
    if (label > 63) return true;
  }
  return false;
}

}  // namespace

std::shared_ptr<const IcuDomainNames> IcuDomainNames::Shared() {
  static const std::shared_ptr<const IcuDomainNames> shared = std::make_shared<IcuDomainNames>();
  return shared;
}

IcuDomainNames::IcuDomainNames()
    : table_(std::make_unique<std::atomic<uint32_t>[]>(kCodePoints / 16)) {
  UErrorCode e = U_ZERO_ERROR;
  idna_ = uidna_openUTS46(kIdnaOptions, &e);
  if (U_FAILURE(e)) Fail("uidna_openUTS46", e);
  // UTS #46's mapping table: what uidna applies before its validity checks. Classify reads
  // it per code point to know what a character becomes inside a host.
  uts46_ = unorm2_getInstance(nullptr, "uts46", UNORM2_COMPOSE, &e);
  if (U_FAILURE(e)) Fail("unorm2_getInstance(uts46)", e);
  nfd_ = unorm2_getNFDInstance(&e);
  if (U_FAILURE(e)) Fail("unorm2_getNFDInstance", e);
  skeletons_ = uspoof_open(&e);
  if (U_FAILURE(e)) Fail("uspoof_open", e);
  scripts_ = uspoof_open(&e);
  if (U_FAILURE(e)) Fail("uspoof_open", e);
  uspoof_setChecks(scripts_, USPOOF_RESTRICTION_LEVEL | USPOOF_MIXED_NUMBERS | USPOOF_INVISIBLE,
                   &e);
  if (U_FAILURE(e)) Fail("uspoof_setChecks", e);
  uspoof_setRestrictionLevel(scripts_, USPOOF_HIGHLY_RESTRICTIVE);
}

IcuDomainNames::~IcuDomainNames() {
  uspoof_close(scripts_);
  uspoof_close(skeletons_);
  uidna_close(idna_);
}

DomainNames::CodePoint IcuDomainNames::Classify(char32_t c) const {
  if (c >= kCodePoints) return CodePoint::kOther;
  std::atomic<uint32_t>& word = table_[c / 16];
  const unsigned shift = (c % 16) * 2;
  const uint32_t known = (word.load(std::memory_order_relaxed) >> shift) & 3u;
  if (known != 0) return static_cast<CodePoint>(known - 1);
  const CodePoint cp = ClassifySlow(c);
  word.fetch_or((static_cast<uint32_t>(cp) + 1) << shift, std::memory_order_relaxed);
  return cp;
}

DomainNames::CodePoint IcuDomainNames::ClassifySlow(char32_t c) const {
  if (c >= 0xD800 && c <= 0xDFFF) return CodePoint::kOther;
  UChar in[2];
  int32_t in_len = 0;
  U16_APPEND_UNSAFE(in, in_len, static_cast<UChar32>(c));  // c <= U+10FFFF, not a surrogate
  UChar out[32];
  UErrorCode e = U_ZERO_ERROR;
  const int32_t n = unorm2_normalize(uts46_, in, in_len, out, 32, &e);
  if (U_FAILURE(e)) return CodePoint::kOther;
  if (n == 0) return CodePoint::kHost;  // ignored (soft hyphen, ZWSP, variation selectors)
  if (n == 1 && out[0] == u'.') return CodePoint::kDot;
  const uint32_t letter_mark_digit = U_GC_L_MASK | U_GC_M_MASK | U_GC_N_MASK;
  bool name_char = true;
  for (int32_t i = 0; i < n && name_char;) {
    UChar32 d;
    U16_NEXT(out, i, n, d);
    if (d == 0xFFFD) {
      name_char = false;  // disallowed
    } else if (d < 0x80) {
      name_char = (d >= 'a' && d <= 'z') || (d >= '0' && d <= '9') || d == '-';
    } else {
      // Letters, marks and digits are what IDNA2008 labels are made of; the two joiners are
      // kept so that CheckJoiners can refuse a misplaced one.
      name_char = (U_MASK(u_charType(d)) & letter_mark_digit) != 0 || d == 0x200C || d == 0x200D;
    }
  }
  if (name_char) return CodePoint::kHost;
  // Not a name character: symbols, emoji and punctuation end a host (IDNA2008, which
  // registries apply, has none of them). Two exceptions stay in the host so that the whole
  // name is judged, and refused, rather than split into harmless pieces ("exampӀe.com" into
  // "examp" and "e.com"): a letter UTS #46 disallows (Cyrillic palochka Ӏ), and a symbol
  // that Unicode's confusables data reads as a letter or digit (⍺ for a, ∣ for l, ℮ for e).
  if (U_MASK(u_charType(static_cast<UChar32>(c))) & letter_mark_digit) return CodePoint::kHost;
  char utf8[4];
  int32_t len = 0;
  U8_APPEND_UNSAFE(utf8, len, static_cast<UChar32>(c));
  const std::string sk = Skeleton(std::string_view(utf8, static_cast<size_t>(len)));
  const bool alnum =
      sk.size() == 1 && ((sk[0] >= 'a' && sk[0] <= 'z') || (sk[0] >= '0' && sk[0] <= '9'));
  return alnum ? CodePoint::kHost : CodePoint::kOther;
}

DomainNames::Name IcuDomainNames::Resolve(std::string_view written) const {
  Name name;
  UIDNAInfo info;
  std::string ascii = Convert(
      [this](const char* s, int32_t len, char* out, int32_t cap, UIDNAInfo* i, UErrorCode* e) {
        return uidna_nameToASCII_UTF8(idna_, s, len, out, cap, i, e);
      },
      written, &info);
  uint32_t errors = info.errors & ~kIgnoredErrors;
  name.too_long = (errors & kLengthErrors) != 0 || TooLongForDns(ascii);
  errors &= ~kLengthErrors;
  name.unicode = Convert(
      [this](const char* s, int32_t len, char* out, int32_t cap, UIDNAInfo* i, UErrorCode* e) {
        return uidna_nameToUnicodeUTF8(idna_, s, len, out, cap, i, e);
      },
      written, &info);
  if (errors != 0) {
    name.problem = Problem(errors);
  } else {
    name.ascii = std::move(ascii);
  }
  return name;
}

std::string IcuDomainNames::Skeleton(std::string_view utf8) const {
  // In UTF-16: decompose (NFD) and drop nonspacing marks, as Chromium's IDN spoof checker
  // does, since UTS #39 keeps diacritics and "pạypal" would otherwise not look like
  // "paypal"; then the UTS #39 skeleton; then lower-case; then back to UTF-8.
  const auto run = [](auto&& fn, std::u16string* out) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      UErrorCode e = U_ZERO_ERROR;
      const int32_t n = fn(out->data(), static_cast<int32_t>(out->size()), &e);
      if (e == U_BUFFER_OVERFLOW_ERROR || e == U_STRING_NOT_TERMINATED_WARNING) {
        out->assign(static_cast<size_t>(n) + 1, u'\0');
        continue;
      }
      if (U_FAILURE(e)) return false;
      out->resize(static_cast<size_t>(n));
      return true;
    }
    return false;
  };
  std::u16string in(utf8.size() + 1, u'\0');
  bool ok = run(
      [&](UChar* out, int32_t cap, UErrorCode* e) {
        int32_t n = 0;
        u_strFromUTF8(out, cap, &n, utf8.data(), static_cast<int32_t>(utf8.size()), e);
        return n;
      },
      &in);
  std::u16string nfd(in.size() * 2 + 8, u'\0');
  ok = ok &&
       run(
           [&](UChar* out, int32_t cap, UErrorCode* e) {
             return unorm2_normalize(nfd_, in.data(), static_cast<int32_t>(in.size()), out, cap, e);
           },
           &nfd);
  std::u16string bare;
  bare.reserve(nfd.size());
  for (int32_t i = 0; ok && i < static_cast<int32_t>(nfd.size());) {
    const int32_t from = i;
    UChar32 c;
    U16_NEXT(nfd.data(), i, static_cast<int32_t>(nfd.size()), c);
    if (u_charType(c) != U_NON_SPACING_MARK) bare.append(nfd, static_cast<size_t>(from), i - from);
  }
  std::u16string skeleton(bare.size() * 2 + 8, u'\0');
  ok = ok && run(
                 [&](UChar* out, int32_t cap, UErrorCode* e) {
                   return uspoof_getSkeleton(skeletons_, 0, bare.data(),
                                             static_cast<int32_t>(bare.size()), out, cap, e);
                 },
                 &skeleton);
  std::u16string lower(skeleton.size() + 8, u'\0');
  ok = ok && run(
                 [&](UChar* out, int32_t cap, UErrorCode* e) {
                   return u_strToLower(out, cap, skeleton.data(),
                                       static_cast<int32_t>(skeleton.size()), "", e);
                 },
                 &lower);
  if (!ok) return std::string(utf8);  // invalid UTF-8: compared as written
  std::string out(lower.size() * 3 + 1, '\0');
  UErrorCode e = U_ZERO_ERROR;
  int32_t n = 0;
  u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &n, lower.data(),
              static_cast<int32_t>(lower.size()), &e);
  if (U_FAILURE(e)) return std::string(utf8);
  out.resize(static_cast<size_t>(n));
  return out;
}

bool IcuDomainNames::MixedScript(std::string_view utf8_label) const {
  UErrorCode e = U_ZERO_ERROR;
  const int32_t checks = uspoof_check2UTF8(scripts_, utf8_label.data(),
                                           static_cast<int32_t>(utf8_label.size()), nullptr, &e);
  return U_FAILURE(e) || checks != 0;  // a label ICU cannot read is not a plain one
}

}  // namespace sd
