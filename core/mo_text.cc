#include "core/mo_text.h"

#include "core/gsm_alphabet.h"
#include "core/url_extract.h"

namespace sd {
namespace {

constexpr uint32_t kReplacement = 0xFFFD;

void DecodeGsm7(std::string_view bytes, MoText* t) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto septet = static_cast<uint8_t>(bytes[i]);
    if (septet > 0x7F) {
      t->lossy = true;
      AppendUtf8(kReplacement, &t->utf8);
      continue;
    }
    if (septet != 0x1B) {
      AppendUtf8(kGsmBasic[septet], &t->utf8);
      continue;
    }
    // Escape: the next septet is from the extension table. GSM 03.38 §6.2.1.1: a code the
    // receiver does not know there is shown as the basic table's character.
    if (i + 1 >= bytes.size()) {
      t->lossy = true;  // an escape with nothing after it
      break;
    }
    const auto next = static_cast<uint8_t>(bytes[++i]);
    if (next > 0x7F || next == 0x1B) {
      t->lossy = true;
      AppendUtf8(kReplacement, &t->utf8);
      continue;
    }
    uint32_t cp = kGsmBasic[next];
    for (const GsmExt& e : kGsmExt) {
      if (e.septet == next) cp = e.cp;
    }
    AppendUtf8(cp, &t->utf8);
  }
}

void DecodeUcs2(std::string_view bytes, MoText* t) {
  const size_t units = bytes.size() / 2;
  for (size_t i = 0; i < units; ++i) {
    const uint32_t u =
        (static_cast<uint8_t>(bytes[2 * i]) << 8) | static_cast<uint8_t>(bytes[2 * i + 1]);
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units) {
      const uint32_t lo =
          (static_cast<uint8_t>(bytes[2 * i + 2]) << 8) | static_cast<uint8_t>(bytes[2 * i + 3]);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        AppendUtf8(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00), &t->utf8);
        ++i;
        continue;
      }
    }
    if (u >= 0xD800 && u <= 0xDFFF) {
      t->lossy = true;  // a surrogate without its other half
      AppendUtf8(kReplacement, &t->utf8);
      continue;
    }
    AppendUtf8(u, &t->utf8);
  }
  if (bytes.size() % 2 != 0) {
    t->lossy = true;  // half a code unit
    AppendUtf8(kReplacement, &t->utf8);
  }
}

}  // namespace

std::string_view MoCodingName(MoCoding c) {
  switch (c) {
    case MoCoding::kGsm7:
      return "gsm7";
    case MoCoding::kAscii:
      return "ascii";
    case MoCoding::kLatin1:
      return "latin1";
    case MoCoding::kUcs2:
      return "ucs2";
    case MoCoding::kBinary:
      return "binary";
    case MoCoding::kUtf8:
      return "utf8";
  }
  return "binary";
}

std::optional<MoCoding> ParseMoCoding(std::string_view name) {
  for (MoCoding c : {MoCoding::kGsm7, MoCoding::kAscii, MoCoding::kLatin1, MoCoding::kUcs2,
                     MoCoding::kBinary, MoCoding::kUtf8}) {
    if (name == MoCodingName(c)) return c;
  }
  return std::nullopt;
}

MoCoding MoCodingOf(uint8_t dc, MoCoding smsc_default) {
  switch (dc) {
    case 0x00:
      return smsc_default;
    case 0x01:
      return MoCoding::kAscii;
    case 0x03:
      return MoCoding::kLatin1;
    case 0x08:
      return MoCoding::kUcs2;
    default:
      break;
  }
  // GSM 03.38 §4 coding groups (0x00-0x0F are SMPP 3.4's own table, above).
  if ((dc & 0xF0) == 0xF0) return (dc & 0x04) != 0 ? MoCoding::kBinary : MoCoding::kGsm7;
  if ((dc & 0xF0) == 0xC0 || (dc & 0xF0) == 0xD0) return MoCoding::kGsm7;  // message waiting
  if ((dc & 0xF0) == 0xE0) return MoCoding::kUcs2;                         // message waiting
  if ((dc & 0x80) == 0) {  // general data coding, 0x10-0x3F, and automatic deletion, 0x40-0x7F
    if ((dc & 0x20) != 0) return MoCoding::kBinary;  // compressed: kept as bytes
    switch ((dc >> 2) & 0x03) {
      case 0:
        return MoCoding::kGsm7;
      case 2:
        return MoCoding::kUcs2;
      default:
        return MoCoding::kBinary;
    }
  }
  return MoCoding::kBinary;  // 0x80-0xBF: reserved
}

MoText DecodeMoText(MoCoding coding, std::string_view bytes) {
  MoText t;
  t.utf8.reserve(bytes.size());
  switch (coding) {
    case MoCoding::kGsm7:
      DecodeGsm7(bytes, &t);
      break;
    case MoCoding::kUcs2:
      DecodeUcs2(bytes, &t);
      break;
    case MoCoding::kAscii:
    case MoCoding::kLatin1:
      for (char ch : bytes) {
        const auto b = static_cast<uint8_t>(ch);
        const bool bad = coding == MoCoding::kAscii && b > 0x7F;
        t.lossy = t.lossy || bad;
        AppendUtf8(bad ? kReplacement : b, &t.utf8);
      }
      break;
    case MoCoding::kBinary:
      t.binary = true;
      break;
    case MoCoding::kUtf8:
      for (size_t i = 0; i < bytes.size();) {
        const size_t at = i;
        const char32_t c = NextCodePoint(bytes, &i);
        t.lossy = t.lossy || (c == 0xFFFD && bytes.substr(at, i - at) != "\xEF\xBF\xBD");
        AppendUtf8(c, &t.utf8);
      }
      break;
  }
  return t;
}

bool ValidMoPart(const MoPart& p) { return p.total >= 2 && p.seq >= 1 && p.seq <= p.total; }

Udh ParseUdh(std::string_view payload) {
  Udh u;
  u.body = payload;
  if (payload.empty()) return u;
  const size_t udhl = static_cast<uint8_t>(payload[0]);
  if (1 + udhl > payload.size()) return u;
  u.ok = true;
  u.body = payload.substr(1 + udhl);
  const std::string_view ies = payload.substr(1, udhl);
  for (size_t i = 0; i + 2 <= ies.size();) {
    const auto iei = static_cast<uint8_t>(ies[i]);
    const size_t len = static_cast<uint8_t>(ies[i + 1]);
    if (i + 2 + len > ies.size()) {
      u.ok = false;  // an element runs past the header: trust none of it
      u.part.reset();
      u.body = payload;
      return u;
    }
    const auto b = [&](size_t k) { return static_cast<uint8_t>(ies[i + 2 + k]); };
    if (iei == 0x00 && len == 3) {
      u.part = MoPart{b(0), b(1), b(2), MoPart::Kind::kUdh8};
    } else if (iei == 0x08 && len == 4) {
      u.part = MoPart{static_cast<uint16_t>((b(0) << 8) | b(1)), b(2), b(3), MoPart::Kind::kUdh16};
    }
    i += 2 + len;
  }
  if (u.part && !ValidMoPart(*u.part)) u.part.reset();  // "part 0 of 3": read as one message
  return u;
}

}  // namespace sd
