// Messages recipients write (--mo-file, sent on SIGUSR2): each JSON line
//   {"from": "4917012345", "to": "4930555", "text": "STOP", "coding": "gsm7", "parts": 1,
//    "sar": false}
// becomes one deliver_sm, or `parts` of them (a UDH concatenation element, or the sar_* TLVs
// with "sar": true), in "gsm7" (unpacked septets, data_coding 0), "ucs2" (0x08) or "latin1"
// (0x03). Each part is kept until the ESME answers it; parts a dropped session never
// answered are sent again to the next receiver, as an SMSC does.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/smsc_sim/smsc.h"
#include "core/sms_text.h"
#include "core/url_extract.h"

namespace sd::smsc_sim {
namespace {

using smpp::ShortMessage;

// The text's bytes in `coding`, and its data_coding; false when it cannot be carried so.
bool Encode(const std::string& text, const std::string& coding, std::string* bytes,
            uint8_t* data_coding) {
  if (coding == "latin1") {
    std::u32string cps;
    if (!DecodeUtf8(text, &cps)) return false;
    for (char32_t cp : cps) {
      if (cp > 0xFF) return false;
      bytes->push_back(static_cast<char>(cp));
    }
    *data_coding = 0x03;
    return true;
  }
  auto enc = EncodeText(text, coding == "ucs2" ? DataCoding::kUcs2 : DataCoding::kGsm7);
  if (!enc.ok()) return false;
  *bytes = enc->bytes;
  *data_coding = coding == "ucs2" ? 0x08 : 0x00;
  return true;
}

std::string Tlv8(uint8_t v) { return std::string(1, static_cast<char>(v)); }

}  // namespace

void Smsc::InjectMo() {
  std::ifstream in(options_.mo_file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    std::string bytes;
    uint8_t data_coding = 0;
    if (!j.is_object() || !j.contains("text") || !j["text"].is_string() ||
        !Encode(j["text"].get<std::string>(), j.value("coding", "gsm7"), &bytes, &data_coding)) {
      ++counters_.mo_bad_lines;
      continue;
    }
    const int parts = std::clamp(j.value("parts", 1), 1, 255);
    const bool sar = j.value("sar", false);
    const uint16_t ref = next_mo_ref_++;
    // Equal cuts, even for UCS-2 (a cut may still split a surrogate pair, as phones do) and
    // never right after a GSM escape.
    size_t at = 0;
    for (int k = 1; k <= parts; ++k) {
      size_t end = k == parts ? bytes.size() : bytes.size() * k / parts;
      if (data_coding == 0x08) end &= ~size_t{1};
      if (data_coding == 0x00 && end > at && end < bytes.size() && bytes[end - 1] == '\x1b') ++end;
      ShortMessage sm;
      sm.source_addr = j.value("from", "4917000000");
      sm.source_addr_ton = 1;
      sm.source_addr_npi = 1;
      sm.destination_addr = j.value("to", "4930000000");
      sm.data_coding = data_coding;
      std::string body = bytes.substr(at, end - at);
      if (parts > 1 && !sar) {
        sm.esm_class = 0x40;
        body = std::string{0x05,
                           0x00,
                           0x03,
                           static_cast<char>(ref & 0xFF),
                           static_cast<char>(parts),
                           static_cast<char>(k)} +
               body;
      } else if (parts > 1) {
        sm.tlvs = {{smpp::tag::kSarMsgRefNum,
                    std::string{static_cast<char>(ref >> 8), static_cast<char>(ref & 0xFF)}},
                   {smpp::tag::kSarTotalSegments, Tlv8(static_cast<uint8_t>(parts))},
                   {smpp::tag::kSarSegmentSeqnum, Tlv8(static_cast<uint8_t>(k))}};
      }
      sm.short_message = std::move(body);
      mo_waiting_.push_back(std::move(sm));
      at = end;
    }
  }
  SendWaitingMo();
  Flush();
}

// To the bound receivers, round robin; what finds none waits for the next bind.
void Smsc::SendWaitingMo() {
  while (!mo_waiting_.empty()) {
    std::vector<Client*>& receivers = receivers_;
    receivers.clear();
    for (auto& [id, c] : clients_) {
      if (c->bound && c->can_receive && !c->closing && !c->draining) receivers.push_back(c);
    }
    if (receivers.empty()) return;
    Client* c = receivers[next_receiver_++ % receivers.size()];
    smpp::Pdu p;
    p.header.command_id = static_cast<uint32_t>(smpp::CommandId::kDeliverSm);
    p.header.sequence_number = c->next_seq++;
    if (c->next_seq > 0x7FFFFFFF) c->next_seq = 1;
    p.sm = std::move(mo_waiting_.front());
    mo_waiting_.pop_front();
    Append(c, p);
    ++counters_.mo_sent;
    c->unacked_mo[p.header.sequence_number] = std::move(*p.sm);
  }
}

bool Smsc::AckMo(Client* c, uint32_t seq) {
  auto it = c->unacked_mo.find(seq);
  if (it == c->unacked_mo.end()) return false;
  c->unacked_mo.erase(it);
  ++counters_.mo_acked;
  return true;
}

}  // namespace sd::smsc_sim
