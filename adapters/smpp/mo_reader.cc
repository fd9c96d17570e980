#include "adapters/smpp/mo_reader.h"

namespace sd::smpp {
namespace {

constexpr uint8_t kUdhIndicator = 0x40;  // esm_class bit 6 (SMPP 3.4 §5.2.12)

// A TLV's value as an unsigned big-endian integer of `size` bytes, if it has that size.
std::optional<uint32_t> TlvNumber(const ShortMessage& sm, uint16_t t, size_t size) {
  const Tlv* tlv = sm.FindTlv(t);
  if (tlv == nullptr || tlv->value.size() != size) return std::nullopt;
  uint32_t v = 0;
  for (char c : tlv->value) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

}  // namespace

InboundPart ReadInbound(const ShortMessage& sm, const std::string& carrier, MoCoding smsc_default,
                        int64_t received_ms) {
  InboundPart p;
  p.carrier = carrier;
  p.from = sm.source_addr.substr(0, kMaxInboundAddress);
  p.to = sm.destination_addr.substr(0, kMaxInboundAddress);
  p.coding = MoCodingOf(sm.data_coding, smsc_default);
  p.received_ms = received_ms;
  std::string_view message = sm.short_message;
  if (message.empty()) {
    if (const Tlv* payload = sm.FindTlv(tag::kMessagePayload)) message = payload->value;
  }
  if ((sm.esm_class & kUdhIndicator) != 0) {
    const Udh u = ParseUdh(message);
    p.part = u.part;
    p.bad_header = !u.ok;
    message = u.body;
  }
  if (!p.part) {  // no UDH, or one without a concatenation element (ports only): SAR TLVs
    const auto ref = TlvNumber(sm, tag::kSarMsgRefNum, 2);
    const auto total = TlvNumber(sm, tag::kSarTotalSegments, 1);
    const auto seq = TlvNumber(sm, tag::kSarSegmentSeqnum, 1);
    if (ref && total && seq) {
      const MoPart part{static_cast<uint16_t>(*ref), static_cast<uint8_t>(*total),
                        static_cast<uint8_t>(*seq), MoPart::Kind::kSar};
      if (ValidMoPart(part)) p.part = part;
    }
  }
  p.body = std::string(message.substr(0, kMaxInboundBody));
  return p;
}

}  // namespace sd::smpp
