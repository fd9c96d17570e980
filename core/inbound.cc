#include "core/inbound.h"

#include "core/hex.h"

namespace sd {

InboundMessage AssembleInbound(const InboundPart& first, const std::vector<std::string>& bodies,
                               const std::vector<bool>& present) {
  InboundMessage m;
  m.carrier = first.carrier;
  m.from = first.from;
  m.to = first.to;
  m.coding = first.coding;
  m.received_ms = first.received_ms;
  m.parts = static_cast<int>(bodies.size());
  std::string joined;
  for (size_t i = 0; i < bodies.size(); ++i) {
    if (i < present.size() && present[i]) {
      joined += bodies[i];
    } else {
      ++m.missing;
    }
  }
  if (joined.size() > kMaxInboundBody) joined.resize(kMaxInboundBody);
  const MoText t = DecodeMoText(first.coding, joined);
  if (t.binary) {
    m.binary_hex = HexEncode(joined);
  } else {
    m.text = t.utf8;
  }
  m.lossy = t.lossy || first.bad_header;
  return m;
}

std::string InboundPartsKey(const InboundPart& p) {
  // Lengths first, so no two different tuples make the same key whatever bytes they hold.
  std::string k;
  for (const std::string* s : {&p.carrier, &p.from, &p.to}) {
    k += std::to_string(s->size());
    k += ':';
    k += *s;
  }
  if (p.part) {
    static constexpr char kKinds[] = {'u', 'w', 's'};  // 8-bit UDH, 16-bit UDH, SAR
    k += kKinds[static_cast<int>(p.part->kind)];
    k += std::to_string(p.part->ref);
    k += '/';
    k += std::to_string(p.part->total);
  }
  return k;
}

}  // namespace sd
