#include "core/sms_text.h"

#include <array>

#include "core/segmenter.h"

namespace sd {
namespace {

// GSM 03.38 default alphabet: septet value -> Unicode code point. 0x1B is the escape to the
// extension table and maps to nothing by itself.
constexpr std::array<uint16_t, 128> kGsmBasic = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x000A,
    0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5, 0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9,
    0x03A0, 0x03A8, 0x03A3, 0x0398, 0x039E, 0xFFFF, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x0020,
    0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x002A, 0x002B,
    0x002C, 0x002D, 0x002E, 0x002F, 0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036,
    0x0037, 0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F, 0x00A1, 0x0041,
    0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, 0x0048, 0x0049, 0x004A, 0x004B, 0x004C,
    0x004D, 0x004E, 0x004F, 0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
    0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7, 0x00BF, 0x0061, 0x0062,
    0x0063, 0x0064, 0x0065, 0x0066, 0x0067, 0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D,
    0x006E, 0x006F, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077, 0x0078,
    0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

struct Ext {
  uint16_t cp;
  uint8_t septet;
};
// Extension table characters, sent as 0x1B followed by the septet (two septets each).
constexpr std::array<Ext, 10> kGsmExt = {{{0x000C, 0x0A}, {0x005E, 0x14}, {0x007B, 0x28},
                                          {0x007D, 0x29}, {0x005C, 0x2F}, {0x005B, 0x3C},
                                          {0x007E, 0x3D}, {0x005D, 0x3E}, {0x007C, 0x40},
                                          {0x20AC, 0x65}}};

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
  for (const Ext& e : kGsmExt) {
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
