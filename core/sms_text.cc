#include "core/sms_text.h"

#include <array>

#include "core/gsm_alphabet.h"
#include "core/segmenter.h"

namespace sd {
namespace {

// Reverse lookup for code points below 0x400 (Latin-1 and Greek cover the whole basic
// table): 0xFF = not in the basic table. Built once at compile time.
constexpr std::array<uint8_t, 0x400> MakeReverse() {
  std::array<uint8_t, 0x400> r{};
  for (auto& v : r) v = 0xFF;
  for (size_t i = 0; i < kGsmBasic.size(); ++i) {
    if (kGsmBasic[i] < 0x400) r[kGsmBasic[i]] = static_cast<uint8_t>(i);
  }
  return r;
}
constexpr std::array<uint8_t, 0x400> kGsmReverse = MakeReverse();

// Decodes one UTF-8 code point at s[i]; advances i. Returns -1 on invalid UTF-8 (overlong
// forms, surrogates, values above U+10FFFF, truncated sequences).
int32_t NextCodePoint(std::string_view s, size_t& i) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len;
  int32_t cp;
  int32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  if (i + len > s.size()) return -1;
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<uint8_t>(s[i + k]);
    if ((b & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  i += len;
  return cp;
}

// Appends the GSM septets for cp; false when cp is not in the GSM alphabet.
bool AppendGsm(int32_t cp, std::string& out) {
  if (cp < 0x400 && kGsmReverse[cp] != 0xFF) {
    out.push_back(static_cast<char>(kGsmReverse[cp]));
    return true;
  }
  for (const GsmExt& e : kGsmExt) {
    if (e.cp == cp) {
      out.push_back(0x1B);
      out.push_back(static_cast<char>(e.septet));
      return true;
    }
  }
  return false;
}

void AppendUcs2(int32_t cp, std::string& out) {
  auto unit = [&out](uint32_t u) {
    out.push_back(static_cast<char>(u >> 8));
    out.push_back(static_cast<char>(u & 0xFF));
  };
  if (cp < 0x10000) {
    unit(static_cast<uint32_t>(cp));
  } else {
    const uint32_t v = static_cast<uint32_t>(cp) - 0x10000;
    unit(0xD800 | (v >> 10));
    unit(0xDC00 | (v & 0x3FF));
  }
}

}  // namespace

int SegmentCount(DataCoding coding, size_t units) {
  // GSM: 160 septets single, 153 per part after the 6-byte UDH; UCS-2: 70 / 67 code units.
  const size_t single = coding == DataCoding::kGsm7 ? 160 : 70;
  const size_t part = coding == DataCoding::kGsm7 ? 153 : 67;
  if (units <= single) return 1;
  return static_cast<int>((units + part - 1) / part);
}

Result<EncodedText> EncodeText(std::string_view utf8, std::optional<DataCoding> force) {
  if (utf8.empty()) return Error{Reason::kInvalidText, "text is empty"};
  EncodedText out;
  bool gsm_ok = !force || *force == DataCoding::kGsm7;
  if (gsm_ok) {
    out.bytes.reserve(utf8.size());
    for (size_t i = 0; i < utf8.size();) {
      const int32_t cp = NextCodePoint(utf8, i);
      if (cp < 0) return Error{Reason::kInvalidText, "text is not valid UTF-8"};
      if (!AppendGsm(cp, out.bytes)) {
        if (force) return Error{Reason::kInvalidText, "text has characters GSM-7 cannot carry"};
        gsm_ok = false;
        break;
      }
    }
  }
  if (gsm_ok) {
    out.coding = DataCoding::kGsm7;
    out.segments = CountParts(out.coding, out.bytes, SplitMethod::kUdh8);
    return out;
  }
  out.bytes.clear();
  out.bytes.reserve(utf8.size() * 2);
  for (size_t i = 0; i < utf8.size();) {
    const int32_t cp = NextCodePoint(utf8, i);
    if (cp < 0) return Error{Reason::kInvalidText, "text is not valid UTF-8"};
    AppendUcs2(cp, out.bytes);
  }
  out.coding = DataCoding::kUcs2;
  out.segments = CountParts(out.coding, out.bytes, SplitMethod::kUdh8);
  return out;
}

}  // namespace sd
