#include "adapters/smpp/pdu.h"

#include <algorithm>
#include <utility>

namespace sd::smpp {
namespace {

// Bounds-checked big-endian reader over one PDU's bytes. Every read reports failure instead
// of reading past the end (STYLE habit 3).
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool U8(uint8_t& v) {
    if (pos_ + 1 > b_.size()) return false;
    v = static_cast<uint8_t>(b_[pos_++]);
    return true;
  }
  bool U16(uint16_t& v) {
    if (pos_ + 2 > b_.size()) return false;
    v = static_cast<uint16_t>((static_cast<uint8_t>(b_[pos_]) << 8) |
                              static_cast<uint8_t>(b_[pos_ + 1]));
    pos_ += 2;
    return true;
  }
  bool U32(uint32_t& v) {
    if (pos_ + 4 > b_.size()) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(b_[pos_ + i]);
    pos_ += 4;
    return true;
  }
  // C-Octet String: NUL-terminated, at most `max` bytes including the NUL.
  bool CStr(std::string& out, size_t max) {
    const size_t limit = std::min(b_.size(), pos_ + max);
    for (size_t i = pos_; i < limit; ++i) {
      if (b_[i] == '\0') {
        out.assign(b_.data() + pos_, i - pos_);
        pos_ = i + 1;
        return true;
      }
    }
    return false;
  }
  bool Bytes(std::string& out, size_t n) {
    if (pos_ + n > b_.size()) return false;
    out.assign(b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool Tlvs(std::vector<Tlv>& out) {
    while (pos_ < b_.size()) {
      Tlv t;
      uint16_t len = 0;
      if (!U16(t.tag) || !U16(len) || !Bytes(t.value, len)) return false;
      out.push_back(std::move(t));
    }
    return true;
  }
  bool AtEnd() const { return pos_ == b_.size(); }

 private:
  std::string_view b_;
  size_t pos_ = 0;
};

class Writer {
 public:
  explicit Writer(size_t expected) { s_.reserve(expected); }
  void U8(uint8_t v) { s_.push_back(static_cast<char>(v)); }
  void U16(uint16_t v) {
    U8(static_cast<uint8_t>(v >> 8));
    U8(static_cast<uint8_t>(v));
  }
  void U32(uint32_t v) {
    for (int i = 3; i >= 0; --i) U8(static_cast<uint8_t>(v >> (8 * i)));
  }
  bool CStr(const std::string& v, size_t max) {
    if (v.size() + 1 > max || v.find('\0') != std::string::npos) return false;
    s_.append(v);
    s_.push_back('\0');
    return true;
  }
  bool Tlvs(const std::vector<Tlv>& tlvs) {
    for (const Tlv& t : tlvs) {
      if (t.value.size() > 0xFFFF) return false;
      U16(t.tag);
      U16(static_cast<uint16_t>(t.value.size()));
      s_.append(t.value);
    }
    return true;
  }
  std::string& str() { return s_; }

 private:
  std::string s_;
};

bool DecodeBind(Reader& r, Bind& b) {
  return r.CStr(b.system_id, 16) && r.CStr(b.password, 9) && r.CStr(b.system_type, 13) &&
         r.U8(b.interface_version) && r.U8(b.addr_ton) && r.U8(b.addr_npi) &&
         r.CStr(b.address_range, 41) && r.AtEnd();
}

bool DecodeSm(Reader& r, ShortMessage& m) {
  uint8_t sm_length = 0;
  return r.CStr(m.service_type, 6) && r.U8(m.source_addr_ton) && r.U8(m.source_addr_npi) &&
         r.CStr(m.source_addr, 21) && r.U8(m.dest_addr_ton) && r.U8(m.dest_addr_npi) &&
         r.CStr(m.destination_addr, 21) && r.U8(m.esm_class) && r.U8(m.protocol_id) &&
         r.U8(m.priority_flag) && r.CStr(m.schedule_delivery_time, 17) &&
         r.CStr(m.validity_period, 17) && r.U8(m.registered_delivery) &&
         r.U8(m.replace_if_present_flag) && r.U8(m.data_coding) && r.U8(m.sm_default_msg_id) &&
         r.U8(sm_length) && sm_length <= 254 && r.Bytes(m.short_message, sm_length) &&
         r.Tlvs(m.tlvs);
}

bool IsResponse(uint32_t id) { return (id & 0x80000000u) != 0; }

// Upper bound of the encoded size, so Encode allocates once instead of growing byte by byte
// (the simulator and the carrier encode one PDU per message on their hot paths).
size_t ExpectedSize(const Pdu& pdu) {
  size_t n = kHeaderSize + 8;
  auto tlvs = [&n](const std::vector<Tlv>& v) {
    for (const Tlv& t : v) n += 4 + t.value.size();
  };
  if (pdu.bind) {
    n += pdu.bind->system_id.size() + pdu.bind->password.size() + pdu.bind->system_type.size() +
         pdu.bind->address_range.size();
  }
  if (pdu.bind_resp) {
    n += pdu.bind_resp->system_id.size();
    tlvs(pdu.bind_resp->tlvs);
  }
  if (pdu.sm) {
    const ShortMessage& m = *pdu.sm;
    n += 20 + m.service_type.size() + m.source_addr.size() + m.destination_addr.size() +
         m.schedule_delivery_time.size() + m.validity_period.size() + m.short_message.size();
    tlvs(m.tlvs);
  }
  if (pdu.submit_resp) n += pdu.submit_resp->message_id.size();
  return n;
}

}  // namespace

const Tlv* ShortMessage::FindTlv(uint16_t t) const {
  for (const Tlv& tlv : tlvs) {
    if (tlv.tag == t) return &tlv;
  }
  return nullptr;
}

std::string_view DecodeStatusName(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::kOk:
      return "ok";
    case DecodeStatus::kNeedMore:
      return "need_more";
    case DecodeStatus::kBadLength:
      return "bad_length";
    case DecodeStatus::kUnknownCommand:
      return "unknown_command";
    case DecodeStatus::kMalformedBody:
      return "malformed_body";
  }
  return "?";
}

DecodeResult Decode(std::string_view buf) {
  DecodeResult res;
  if (buf.size() < 4) return res;  // need_more
  Reader hr(buf);
  uint32_t len = 0;
  (void)hr.U32(len);
  // Checked before buffering anything more: a hostile length must not make us allocate.
  if (len < kHeaderSize || len > kMaxPduSize) {
    res.status = DecodeStatus::kBadLength;
    res.error = "command_length " + std::to_string(len) + " outside [16, " +
                std::to_string(kMaxPduSize) + "]";
    return res;
  }
  if (buf.size() < len) return res;  // need_more
  Header& h = res.pdu.header;
  h.command_length = len;
  (void)hr.U32(h.command_id);
  (void)hr.U32(h.command_status);
  (void)hr.U32(h.sequence_number);
  res.consumed = len;
  Reader r(buf.substr(kHeaderSize, len - kHeaderSize));
  const bool error_resp = IsResponse(h.command_id) && h.command_status != status::kOk;
  bool ok = true;
  switch (static_cast<CommandId>(h.command_id)) {
    case CommandId::kBindReceiver:
    case CommandId::kBindTransmitter:
    case CommandId::kBindTransceiver:
      ok = DecodeBind(r, res.pdu.bind.emplace());
      break;
    case CommandId::kBindReceiverResp:
    case CommandId::kBindTransmitterResp:
    case CommandId::kBindTransceiverResp: {
      auto& b = res.pdu.bind_resp.emplace();
      // An error response may carry no body at all.
      if (!(error_resp && r.AtEnd())) ok = r.CStr(b.system_id, 16) && r.Tlvs(b.tlvs);
      break;
    }
    case CommandId::kSubmitSm:
    case CommandId::kDeliverSm:
      ok = DecodeSm(r, res.pdu.sm.emplace());
      break;
    case CommandId::kSubmitSmResp:
    case CommandId::kDeliverSmResp: {
      auto& s = res.pdu.submit_resp.emplace();
      if (!r.AtEnd()) ok = r.CStr(s.message_id, 65) && r.AtEnd();
      if (!ok && error_resp) ok = true;  // tolerate junk bodies on error responses
      break;
    }
    case CommandId::kGenericNack:
    case CommandId::kEnquireLink:
    case CommandId::kEnquireLinkResp:
    case CommandId::kUnbind:
    case CommandId::kUnbindResp:
      ok = r.AtEnd();
      break;
    default:
      res.status = DecodeStatus::kUnknownCommand;
      res.error = "unknown command_id";
      return res;
  }
  if (!ok) {
    res.status = DecodeStatus::kMalformedBody;
    res.error = "malformed body";
    return res;
  }
  res.status = DecodeStatus::kOk;
  return res;
}

std::optional<std::string> Encode(const Pdu& pdu) {
  Writer w(ExpectedSize(pdu));
  w.U32(0);  // length, patched below
  w.U32(pdu.header.command_id);
  w.U32(pdu.header.command_status);
  w.U32(pdu.header.sequence_number);
  bool ok = true;
  switch (pdu.command()) {
    case CommandId::kBindReceiver:
    case CommandId::kBindTransmitter:
    case CommandId::kBindTransceiver: {
      const Bind b = pdu.bind.value_or(Bind{});
      ok = w.CStr(b.system_id, 16) && w.CStr(b.password, 9) && w.CStr(b.system_type, 13);
      w.U8(b.interface_version);
      w.U8(b.addr_ton);
      w.U8(b.addr_npi);
      ok = ok && w.CStr(b.address_range, 41);
      break;
    }
    case CommandId::kBindReceiverResp:
    case CommandId::kBindTransmitterResp:
    case CommandId::kBindTransceiverResp:
      if (pdu.bind_resp) ok = w.CStr(pdu.bind_resp->system_id, 16) && w.Tlvs(pdu.bind_resp->tlvs);
      break;
    case CommandId::kSubmitSm:
    case CommandId::kDeliverSm: {
      if (!pdu.sm) return std::nullopt;
      const ShortMessage& m = *pdu.sm;
      ok = w.CStr(m.service_type, 6);
      w.U8(m.source_addr_ton);
      w.U8(m.source_addr_npi);
      ok = ok && w.CStr(m.source_addr, 21);
      w.U8(m.dest_addr_ton);
      w.U8(m.dest_addr_npi);
      ok = ok && w.CStr(m.destination_addr, 21);
      w.U8(m.esm_class);
      w.U8(m.protocol_id);
      w.U8(m.priority_flag);
      ok = ok && w.CStr(m.schedule_delivery_time, 17) && w.CStr(m.validity_period, 17);
      w.U8(m.registered_delivery);
      w.U8(m.replace_if_present_flag);
      w.U8(m.data_coding);
      w.U8(m.sm_default_msg_id);
      if (m.short_message.size() > 254) return std::nullopt;
      w.U8(static_cast<uint8_t>(m.short_message.size()));
      w.str().append(m.short_message);
      ok = ok && w.Tlvs(m.tlvs);
      break;
    }
    case CommandId::kSubmitSmResp:
    case CommandId::kDeliverSmResp:
      // deliver_sm_resp carries an unused message_id (a single NUL); error responses none.
      if (pdu.submit_resp) {
        ok = w.CStr(pdu.submit_resp->message_id, 65);
      } else if (pdu.header.command_status == status::kOk) {
        w.U8(0);
      }
      break;
    default:
      break;  // header-only PDUs
  }
  if (!ok || w.str().size() > kMaxPduSize) return std::nullopt;
  std::string out = std::move(w.str());
  const auto n = static_cast<uint32_t>(out.size());
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(n >> (8 * (3 - i)));
  return out;
}

Pdu MakeHeaderOnly(CommandId id, uint32_t sequence, uint32_t st) {
  Pdu p;
  p.header.command_id = static_cast<uint32_t>(id);
  p.header.command_status = st;
  p.header.sequence_number = sequence;
  return p;
}

}  // namespace sd::smpp
