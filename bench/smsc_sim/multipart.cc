#include "bench/smsc_sim/multipart.h"

namespace sd::smsc_sim {

using smpp::ShortMessage;
using smpp::Tlv;

std::string_view PartMethodName(PartMethod m) {
  switch (m) {
    case PartMethod::kSingle:
      return "single";
    case PartMethod::kUdh8:
      return "udh8";
    case PartMethod::kUdh16:
      return "udh16";
    case PartMethod::kSar:
      return "sar";
    case PartMethod::kPayload:
      return "payload";
    case PartMethod::kInvalid:
      return "invalid";
  }
  return "invalid";
}

PartInfo ExtractPart(const ShortMessage& sm) {
  PartInfo p;
  const Tlv* payload = sm.FindTlv(smpp::tag::kMessagePayload);
  std::string_view data = payload != nullptr ? payload->value : sm.short_message;
  if (payload != nullptr) p.method = PartMethod::kPayload;
  if ((sm.esm_class & 0x40) != 0) {  // UDHI: the user data starts with a UDH
    if (data.empty() || static_cast<size_t>(static_cast<uint8_t>(data[0])) + 1 > data.size()) {
      p.method = PartMethod::kInvalid;
      return p;
    }
    const size_t udhl = static_cast<uint8_t>(data[0]);
    std::string_view udh = data.substr(1, udhl);
    while (udh.size() >= 2) {
      const uint8_t iei = static_cast<uint8_t>(udh[0]);
      const size_t len = static_cast<uint8_t>(udh[1]);
      if (len + 2 > udh.size()) {
        p.method = PartMethod::kInvalid;
        return p;
      }
      const auto b = [&](size_t i) { return static_cast<uint8_t>(udh[2 + i]); };
      if (iei == 0x00 && len == 3) {
        p.method = PartMethod::kUdh8;
        p.ref = b(0);
        p.total = b(1);
        p.seq = b(2);
      } else if (iei == 0x08 && len == 4) {
        p.method = PartMethod::kUdh16;
        p.ref = static_cast<uint16_t>((b(0) << 8) | b(1));
        p.total = b(2);
        p.seq = b(3);
      }
      udh.remove_prefix(len + 2);
    }
    data.remove_prefix(udhl + 1);
  }
  const Tlv* ref = sm.FindTlv(smpp::tag::kSarMsgRefNum);
  const Tlv* total = sm.FindTlv(smpp::tag::kSarTotalSegments);
  const Tlv* seq = sm.FindTlv(smpp::tag::kSarSegmentSeqnum);
  if (ref != nullptr || total != nullptr || seq != nullptr) {
    if (ref == nullptr || total == nullptr || seq == nullptr || ref->value.size() != 2 ||
        total->value.size() != 1 || seq->value.size() != 1) {
      p.method = PartMethod::kInvalid;
      return p;
    }
    p.method = PartMethod::kSar;
    p.ref = static_cast<uint16_t>((static_cast<uint8_t>(ref->value[0]) << 8) |
                                  static_cast<uint8_t>(ref->value[1]));
    p.total = static_cast<uint8_t>(total->value[0]);
    p.seq = static_cast<uint8_t>(seq->value[0]);
  }
  p.text = data;
  return p;
}

Reassembler::Result Reassembler::Add(const std::string& key, const PartInfo& part,
                                     uint8_t data_coding, uint64_t now_ms) {
  Result r;
  if (part.total == 0 || part.seq == 0 || part.seq > part.total) {
    r.outcome = Outcome::kBadPart;
    return r;
  }
  auto it = pending_.find(key);
  if (it == pending_.end()) {
    if (part.total == 1) {  // a one-part "multipart": complete at once
      r.outcome = Outcome::kComplete;
      r.text.assign(part.text);
      return r;
    }
    if (pending_.size() >= kMaxPending) {
      r.outcome = Outcome::kOverflow;
      return r;
    }
    Message m;
    m.total = part.total;
    m.data_coding = data_coding;
    m.first_ms = now_ms;
    m.parts.resize(part.total);
    m.order = order_.insert(order_.end(), key);
    it = pending_.emplace(key, std::move(m)).first;
  }
  Message& m = it->second;
  if (m.total != part.total || m.data_coding != data_coding) {
    r.outcome = Outcome::kMismatch;
    return r;
  }
  std::optional<std::string>& slot = m.parts[part.seq - 1];
  if (slot) {
    r.outcome = Outcome::kDuplicate;
    return r;
  }
  slot.emplace(part.text);
  if (++m.received < m.total) return r;
  r.outcome = Outcome::kComplete;
  for (const auto& s : m.parts) r.text += *s;
  order_.erase(m.order);
  pending_.erase(it);
  return r;
}

size_t Reassembler::Expire(uint64_t now_ms, uint64_t timeout_ms, uint64_t* missing_parts) {
  size_t expired = 0;
  while (!order_.empty()) {
    auto it = pending_.find(order_.front());
    if (it->second.first_ms + timeout_ms > now_ms) break;  // the oldest is not due: none is
    *missing_parts += it->second.total - it->second.received;
    pending_.erase(it);
    order_.pop_front();
    ++expired;
  }
  return expired;
}

}  // namespace sd::smsc_sim
