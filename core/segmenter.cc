#include "core/segmenter.h"

#include <algorithm>

namespace sd {
namespace {

constexpr char kGsmEscape = 0x1B;

// Units are septets for GSM-7 (one byte each) and UTF-16 code units for UCS-2 (two bytes).
size_t UnitBytes(DataCoding coding) { return coding == DataCoding::kUcs2 ? 2 : 1; }

uint16_t Ucs2Unit(std::string_view bytes, size_t unit) {
  return static_cast<uint16_t>((static_cast<uint8_t>(bytes[2 * unit]) << 8) |
                               static_cast<uint8_t>(bytes[2 * unit + 1]));
}

// How many units the character starting at `unit` occupies: 2 for a GSM escape pair or a
// UTF-16 surrogate pair, else 1. A lone escape or surrogate counts as one unit: it cannot be
// split anyway, and the handset shows it the same wherever it lands.
size_t CharUnits(DataCoding coding, std::string_view bytes, size_t unit, size_t units) {
  if (unit + 1 >= units) return 1;
  if (coding == DataCoding::kGsm7) return bytes[unit] == kGsmEscape ? 2 : 1;
  const uint16_t u = Ucs2Unit(bytes, unit);
  if (u < 0xD800 || u > 0xDBFF) return 1;
  const uint16_t next = Ucs2Unit(bytes, unit + 1);
  return next >= 0xDC00 && next <= 0xDFFF ? 2 : 1;
}

// End (exclusive, in units) of the part starting at `start` that holds at most `capacity`
// units without cutting a pair. capacity >= 2, so every part makes progress.
size_t PartEnd(DataCoding coding, std::string_view bytes, size_t start, size_t units,
               size_t capacity) {
  const size_t limit = std::min(units, start + capacity);
  if (coding == DataCoding::kGsm7) {
    // Only escapes matter: jump from one to the next (memchr) instead of septet by septet.
    const std::string_view window = bytes.substr(0, limit);
    size_t i = start;
    while (i < limit) {
      const size_t esc = window.find(kGsmEscape, i);
      if (esc == std::string_view::npos) return limit;
      const size_t len = CharUnits(coding, bytes, esc, units);
      if (esc + len > limit) return esc;  // the pair would straddle the boundary
      i = esc + len;
    }
    return i;
  }
  size_t i = start;
  size_t used = 0;
  while (i < units) {
    const size_t len = CharUnits(coding, bytes, i, units);
    if (used + len > capacity) break;
    used += len;
    i += len;
  }
  return i;
}

size_t SingleCapacity(DataCoding coding) {
  return coding == DataCoding::kGsm7 ? kGsmSingle : kUcs2Single;
}

// Units per part of a concatenated text. UDH 8-bit ref: 6 octets; 16-bit ref: 7 octets. A
// GSM part has 140 octets = 160 septets, minus the UDH rounded up to whole septets (6 octets
// -> 7 septets, 7 octets -> 8 septets); a UCS-2 part has (140 - UDH) / 2 units. SAR keeps the
// same sizes as the 8-bit UDH so the counts agree with what handsets are billed.
size_t PartCapacity(DataCoding coding, SplitMethod method) {
  const bool gsm = coding == DataCoding::kGsm7;
  if (method == SplitMethod::kUdh16) return gsm ? 152 : 66;
  return gsm ? 153 : 67;
}

int CountWith(DataCoding coding, std::string_view bytes, SplitMethod method) {
  const size_t units = bytes.size() / UnitBytes(coding);
  if (units <= SingleCapacity(coding)) return 1;
  const size_t capacity = PartCapacity(coding, method);
  int parts = 0;
  for (size_t start = 0; start < units; ++parts) {
    start = PartEnd(coding, bytes, start, units, capacity);
  }
  return parts;
}

std::string Udh(SplitMethod method, uint16_t ref, int total, int seq) {
  if (method == SplitMethod::kUdh8) {
    return {0x05,
            0x00,
            0x03,
            static_cast<char>(ref & 0xFF),
            static_cast<char>(total),
            static_cast<char>(seq)};
  }
  return {0x06,
          0x08,
          0x04,
          static_cast<char>(ref >> 8),
          static_cast<char>(ref & 0xFF),
          static_cast<char>(total),
          static_cast<char>(seq)};
}

}  // namespace

std::string_view SplitMethodName(SplitMethod m) {
  switch (m) {
    case SplitMethod::kUdh8:
      return "udh8";
    case SplitMethod::kUdh16:
      return "udh16";
    case SplitMethod::kSar:
      return "sar";
    case SplitMethod::kPayload:
      return "payload";
  }
  return "udh8";
}

std::optional<SplitMethod> SplitMethodFromName(std::string_view name) {
  for (SplitMethod m :
       {SplitMethod::kUdh8, SplitMethod::kUdh16, SplitMethod::kSar, SplitMethod::kPayload}) {
    if (SplitMethodName(m) == name) return m;
  }
  return std::nullopt;
}

int CountParts(DataCoding coding, std::string_view bytes, SplitMethod method) {
  if (method == SplitMethod::kPayload) return 1;
  return CountWith(coding, bytes, method);
}

Result<std::vector<SmsPart>> SplitText(const EncodedText& text, SplitMethod method, uint16_t ref) {
  const DataCoding coding = text.coding;
  const std::string_view bytes = text.bytes;
  if (bytes.empty()) return Error{Reason::kInvalidText, "text is empty"};
  if (bytes.size() % UnitBytes(coding) != 0) {
    return Error{Reason::kInvalidText, "UCS-2 text has an odd number of bytes"};
  }
  // Count first so an oversized text is refused before anything is built. For kPayload the
  // SMSC makes the parts; it cannot make more than kMaxParts either.
  const SplitMethod counted = method == SplitMethod::kPayload ? SplitMethod::kUdh8 : method;
  const int needed = CountWith(coding, bytes, counted);
  if (needed > kMaxParts) {
    return Error{Reason::kTextTooLong, "needs " + std::to_string(needed) + " parts, at most " +
                                           std::to_string(kMaxParts)};
  }
  std::vector<SmsPart> parts;
  if (needed == 1 || method == SplitMethod::kPayload) {
    SmsPart p;
    p.body = text.bytes;
    p.ref = method == SplitMethod::kUdh8 ? (ref & 0xFF) : ref;
    parts.push_back(std::move(p));
    return parts;
  }
  const size_t unit_bytes = UnitBytes(coding);
  const size_t units = bytes.size() / unit_bytes;
  const size_t capacity = PartCapacity(coding, method);
  const uint16_t used_ref = method == SplitMethod::kUdh8 ? (ref & 0xFF) : ref;
  parts.reserve(static_cast<size_t>(needed));
  size_t start = 0;
  for (int seq = 1; seq <= needed; ++seq) {
    const size_t end = PartEnd(coding, bytes, start, units, capacity);
    SmsPart p;
    p.body.assign(bytes.substr(start * unit_bytes, (end - start) * unit_bytes));
    p.seq = seq;
    p.total = needed;
    p.ref = used_ref;
    if (method != SplitMethod::kSar) p.udh = Udh(method, used_ref, needed, seq);
    parts.push_back(std::move(p));
    start = end;
  }
  return parts;
}

}  // namespace sd
