#pragma once
// What a recipient sends back (a mobile-originated message, MO) as an SMSC delivers it in a
// deliver_sm: its data_coding, its text bytes and, for a long message, which part of which
// message it is (a UDH concatenation element, or SMPP's sar_* TLVs). Decoding never fails: a
// byte that does not decode becomes U+FFFD and the result says it was lossy, so a reply is
// always kept, and never echoed raw.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sd {

// kUtf8: a reply an HTTP provider posted (its text is UTF-8 already; invalid bytes become
// U+FFFD like everywhere else). The others are what an SMPP data_coding says.
enum class MoCoding : uint8_t { kGsm7, kAscii, kLatin1, kUcs2, kBinary, kUtf8 };

std::string_view MoCodingName(MoCoding c);
std::optional<MoCoding> ParseMoCoding(std::string_view name);

// SMPP 3.4 §5.2.19 data_coding: 0x00 is the SMSC's default alphabet (`smsc_default`: GSM 03.38
// for most, ASCII or Latin-1 for some), 0x01 IA5 (ASCII), 0x03 Latin-1, 0x08 UCS-2, 0x02 and
// 0x04 8-bit binary; the GSM 03.38 coding groups 0xF0-0xFF (bit 2: 8-bit, else the default
// alphabet) and 0x10-0x1F (general group with message class: bits 3-2 say GSM, 8-bit or
// UCS-2). National and pictogram schemes (0x05-0x07, 0x09-0x0E) are kept as binary.
MoCoding MoCodingOf(uint8_t data_coding, MoCoding smsc_default);

struct MoText {
  std::string utf8;     // the text (empty for binary)
  bool lossy = false;   // something did not decode and became U+FFFD
  bool binary = false;  // 8-bit data: the caller keeps the bytes (hex) instead
};

// `bytes`: the message (short_message or message_payload) after any UDH. GSM 03.38 comes
// unpacked, one septet per byte, as SMPP carries it; UCS-2 is UTF-16BE (surrogate pairs
// joined; a part boundary may split a pair, so decode the joined parts).
MoText DecodeMoText(MoCoding coding, std::string_view bytes);

// One part of a concatenated message: reference, count of parts, this part's number (1..).
struct MoPart {
  uint16_t ref = 0;
  uint8_t total = 0;
  uint8_t seq = 0;
  // How the reference came: 8-bit UDH (IEI 0x00), 16-bit UDH (IEI 0x08) or SAR TLVs. Part of
  // a message's identity: reference 42 of an 8-bit header and of a 16-bit one are different
  // messages.
  enum class Kind : uint8_t { kUdh8, kUdh16, kSar } kind = Kind::kUdh8;
};
bool ValidMoPart(const MoPart& p);  // 1 <= seq <= total, total >= 2

// The user data header at the start of `payload` (esm_class bit 0x40 set).
struct Udh {
  bool ok = false;             // false: the header's length runs past the payload
  std::optional<MoPart> part;  // its concatenation element (IEI 0x00, 8-bit ref, or 0x08)
  std::string_view body;       // what follows the header (the whole payload when !ok)
};
Udh ParseUdh(std::string_view payload);

}  // namespace sd
