// libFuzzer entry for the SMPP PDU codec (scripts/fuzz.sh pdu runs it over corpus/pdu).
// Properties checked on every input, each a trap so the fuzzer reports it:
//   - Decode never reads past the buffer and never claims to consume more than it was given;
//   - need-more and bad-length consume nothing; every other status consumes a whole PDU;
//   - a proper prefix of a decodable PDU is need-more (incremental decoding is consistent);
//   - every kOk PDU re-encodes, the encoding decodes to an equal PDU, and re-encoding that is
//     byte-identical (Encode is a fixed point on decoded PDUs).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/smpp/pdu.h"

namespace {

using namespace sd::smpp;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

bool Equal(const std::vector<Tlv>& a, const std::vector<Tlv>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].tag != b[i].tag || a[i].value != b[i].value) return false;
  }
  return true;
}

bool Equal(const std::optional<Bind>& a, const std::optional<Bind>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->system_id == b->system_id && a->password == b->password &&
         a->system_type == b->system_type && a->interface_version == b->interface_version &&
         a->addr_ton == b->addr_ton && a->addr_npi == b->addr_npi &&
         a->address_range == b->address_range;
}

bool Equal(const std::optional<BindResp>& a, const std::optional<BindResp>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->system_id == b->system_id && Equal(a->tlvs, b->tlvs));
}

bool Equal(const std::optional<ShortMessage>& a, const std::optional<ShortMessage>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->service_type == b->service_type && a->source_addr_ton == b->source_addr_ton &&
         a->source_addr_npi == b->source_addr_npi && a->source_addr == b->source_addr &&
         a->dest_addr_ton == b->dest_addr_ton && a->dest_addr_npi == b->dest_addr_npi &&
         a->destination_addr == b->destination_addr && a->esm_class == b->esm_class &&
         a->protocol_id == b->protocol_id && a->priority_flag == b->priority_flag &&
         a->schedule_delivery_time == b->schedule_delivery_time &&
         a->validity_period == b->validity_period &&
         a->registered_delivery == b->registered_delivery &&
         a->replace_if_present_flag == b->replace_if_present_flag &&
         a->data_coding == b->data_coding && a->sm_default_msg_id == b->sm_default_msg_id &&
         a->short_message == b->short_message && Equal(a->tlvs, b->tlvs);
}

bool Equal(const std::optional<SubmitSmResp>& a, const std::optional<SubmitSmResp>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || a->message_id == b->message_id;
}

// command_length is left out on purpose: a tolerated error response with a junk body
// re-encodes shorter, and an empty OK deliver_sm_resp gains its one-byte message_id.
bool Equal(const Pdu& a, const Pdu& b) {
  return a.header.command_id == b.header.command_id &&
         a.header.command_status == b.header.command_status &&
         a.header.sequence_number == b.header.sequence_number && Equal(a.bind, b.bind) &&
         Equal(a.bind_resp, b.bind_resp) && Equal(a.sm, b.sm) &&
         Equal(a.submit_resp, b.submit_resp);
}

void CheckOne(std::string_view buf, const DecodeResult& r) {
  Check(r.consumed <= buf.size());
  switch (r.status) {
    case DecodeStatus::kNeedMore:
    case DecodeStatus::kBadLength:
      Check(r.consumed == 0);
      return;
    case DecodeStatus::kUnknownCommand:
    case DecodeStatus::kMalformedBody:
    case DecodeStatus::kOk:
      Check(r.consumed >= kHeaderSize && r.consumed <= kMaxPduSize);
      Check(r.consumed == r.pdu.header.command_length);
      break;
  }
  // A strict prefix of a framed PDU (at least the length field) must wait for more bytes.
  if (r.consumed > 4) {
    Check(Decode(buf.substr(0, r.consumed - 1)).status == DecodeStatus::kNeedMore);
    Check(Decode(buf.substr(0, 4)).status == DecodeStatus::kNeedMore);
  }
  if (r.status != DecodeStatus::kOk) return;
  const std::optional<std::string> bytes = Encode(r.pdu);
  Check(bytes.has_value());  // anything we decoded is within every maximum
  const DecodeResult again = Decode(*bytes);
  Check(again.status == DecodeStatus::kOk && again.consumed == bytes->size());
  Check(Equal(r.pdu, again.pdu));
  const std::optional<std::string> bytes2 = Encode(again.pdu);
  Check(bytes2.has_value() && *bytes2 == *bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  // Feed the decoder like a connection does: PDU after PDU from one buffer.
  size_t off = 0;
  while (off < all.size()) {
    const std::string_view rest = all.substr(off);
    const DecodeResult r = Decode(rest);
    CheckOne(rest, r);
    if (r.consumed == 0) break;  // need-more or bad-length: a connection waits or closes here
    off += r.consumed;
  }
  return 0;
}
