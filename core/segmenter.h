#pragma once
// Splits an already encoded text (core/sms_text.h) into the SMS parts a carrier is sent.
// The split is the single authority on how many parts a text needs: CountParts walks the
// same boundaries SplitText cuts at, so an escape pair or a surrogate pair that would
// straddle a boundary moves whole into the next part in both (EncodeText uses CountParts).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/sms_text.h"

namespace sd {

// How a multi-part text is marked as concatenated.
enum class SplitMethod : uint8_t {
  kUdh8,     // UDH IEI 0x00, 8-bit reference (5-octet IE + UDHL = 6 octets)
  kUdh16,    // UDH IEI 0x08, 16-bit reference (7 octets): one septet / unit less per part
  kSar,      // sar_* TLVs carry ref/total/seq; the body has no UDH
  kPayload,  // one PDU with everything in message_payload; the SMSC splits it
};

std::string_view SplitMethodName(SplitMethod m);
// "udh8", "udh16", "sar", "payload" (config strings); nullopt for anything else.
std::optional<SplitMethod> SplitMethodFromName(std::string_view name);

// Concatenated SMS reference numbers are one octet, so no text may need more parts.
inline constexpr int kMaxParts = 255;

// Part capacities in septets (GSM-7) or UTF-16 code units (UCS-2).
inline constexpr size_t kGsmSingle = 160;
inline constexpr size_t kUcs2Single = 70;

struct SmsPart {
  std::string udh;   // user data header incl. the UDHL octet; empty for SAR/payload/single
  std::string body;  // the part's share of EncodedText::bytes, never cut inside a pair
  int seq = 1;       // 1-based position (UDH / sar_segment_seqnum)
  int total = 1;     // number of parts (UDH / sar_total_segments)
  uint16_t ref = 0;  // reference actually used: masked to 8 bits for kUdh8
  // short_message (or message_payload) content: udh followed by body. With a non-empty udh the
  // submit_sm needs esm_class bit 0x40 (UDHI).
  std::string ShortMessage() const { return udh + body; }
};

// Exact number of parts SplitText returns for this text and method: 1 for texts that fit a
// single SMS and always 1 for kPayload. May exceed kMaxParts (the caller rejects). Allocates
// nothing. For UCS-2 an odd trailing byte is ignored (SplitText rejects it).
[[nodiscard]] int CountParts(DataCoding coding, std::string_view bytes, SplitMethod method);

// Splits `text`. `ref` is the concatenation reference (the caller picks it per message;
// kUdh8 uses its low octet). Errors: kInvalidText for an empty text or UCS-2 bytes of odd
// length; kTextTooLong when more than kMaxParts parts are needed (checked before any
// part is built; kPayload counts the parts the SMSC would have to make).
Result<std::vector<SmsPart>> SplitText(const EncodedText& text, SplitMethod method, uint16_t ref);

}  // namespace sd
