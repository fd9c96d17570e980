#include "adapters/smpp/submit_parts.h"

#include <algorithm>

#include "adapters/smpp/session.h"

namespace sd::smpp {

ShortMessage MakeSubmitSm(const SubmitRequest& req, uint8_t registered_delivery,
                          const AddressOptions& addr) {
  ShortMessage sm;
  std::string_view dest = req.destination;
  if (!dest.empty() && dest[0] == '+') dest.remove_prefix(1);
  sm.dest_addr_ton = addr.dest_ton;
  sm.dest_addr_npi = addr.dest_npi;
  sm.destination_addr = std::string(dest);
  std::string_view src = req.sender;
  std::string_view digits = src;
  const bool plus = !digits.empty() && digits[0] == '+';
  if (plus) digits.remove_prefix(1);
  const bool numeric = !digits.empty() && std::all_of(digits.begin(), digits.end(),
                                                      [](char c) { return c >= '0' && c <= '9'; });
  if (numeric && !plus && digits.size() <= kMaxShortCodeDigits) {
    sm.source_addr_ton = 3;  // network specific: a short code
    sm.source_addr_npi = 0;  // unknown
  } else if (numeric) {
    src = digits;
    sm.source_addr_ton = 1;  // international
    sm.source_addr_npi = 1;  // E.164
  } else {
    sm.source_addr_ton = 5;  // alphanumeric (GSM 03.38 7-bit on the air)
    sm.source_addr_npi = 0;  // unknown
  }
  if (addr.source_ton >= 0) sm.source_addr_ton = static_cast<uint8_t>(addr.source_ton);
  if (addr.source_npi >= 0) sm.source_addr_npi = static_cast<uint8_t>(addr.source_npi);
  sm.source_addr = std::string(src);
  sm.data_coding = static_cast<uint8_t>(req.text.coding);
  sm.registered_delivery = req.want_receipt ? registered_delivery : 0;
  if (req.text.bytes.size() <= kMaxShortMessage) {
    sm.short_message = req.text.bytes;
  } else {
    sm.tlvs.push_back(Tlv{tag::kMessagePayload, req.text.bytes});
  }
  return sm;
}

Result<std::vector<ShortMessage>> BuildParts(const SubmitRequest& req, const PartsOptions& opts,
                                             uint8_t registered_delivery, uint16_t ref,
                                             int64_t now_ms) {
  SubmitRequest r = req;
  if (opts.coding == DataCodingChoice::kUcs2 && r.text.coding != DataCoding::kUcs2) {
    auto enc = EncodeText(r.text_utf8, DataCoding::kUcs2);
    if (!enc) return enc.error();
    r.text = std::move(*enc);
  }
  auto split = SplitText(r.text, opts.split, ref);
  if (!split) return split.error();
  std::vector<ShortMessage> out;
  out.reserve(split->size());
  if (split->size() == 1) {
    // One SMS, or kPayload: the whole text in one PDU (MakeSubmitSm moves anything over 254
    // octets to message_payload).
    out.push_back(MakeSubmitSm(r, registered_delivery, opts.addresses));
    out.back().validity_period = ValidityFor(opts.validity, r.expires_ms, now_ms);
    return out;
  }
  // The addresses and flags are the same for every part: build them once, then set the
  // part's user data.
  EncodedText empty;
  empty.coding = r.text.coding;
  SubmitRequest header = r;
  header.text = std::move(empty);
  ShortMessage base = MakeSubmitSm(header, registered_delivery, opts.addresses);
  base.validity_period = ValidityFor(opts.validity, r.expires_ms, now_ms);
  for (const SmsPart& part : *split) {
    ShortMessage sm = base;
    if (!part.udh.empty()) {
      sm.esm_class |= 0x40;  // UDHI: short_message starts with a user data header
      sm.short_message = part.ShortMessage();
    } else {
      sm.short_message = part.body;
      const char ref16[2] = {static_cast<char>(part.ref >> 8), static_cast<char>(part.ref & 0xFF)};
      sm.tlvs.push_back(Tlv{tag::kSarMsgRefNum, std::string(ref16, 2)});
      sm.tlvs.push_back(Tlv{tag::kSarTotalSegments, std::string(1, static_cast<char>(part.total))});
      sm.tlvs.push_back(Tlv{tag::kSarSegmentSeqnum, std::string(1, static_cast<char>(part.seq))});
    }
    out.push_back(std::move(sm));
  }
  return out;
}

}  // namespace sd::smpp
