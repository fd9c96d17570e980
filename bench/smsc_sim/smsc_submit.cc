// submit_sm and what follows from it: the errors to inject, the reassembly check, the receipt
// and its deliver_sm (the Smsc's other half; see smsc.h).
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <utility>
#include <vector>

#include "adapters/smpp/validity_period.h"
#include "bench/smsc_sim/message_id.h"
#include "bench/smsc_sim/smsc.h"

namespace sd::smsc_sim {
namespace {

using namespace sd::smpp;

// SMPP 3.4 Appendix B: the receipt's text field holds the first 20 characters of the message.
constexpr size_t kReceiptTextChars = 20;

bool StartsWith(const std::string& s, const std::string& prefix) {
  return !prefix.empty() && s.compare(0, prefix.size(), prefix) == 0;
}

std::string Now10() {  // YYMMDDhhmm, UTC
  char b[16];
  const time_t t = time(nullptr);
  struct tm tmv;
  gmtime_r(&t, &tmv);
  strftime(b, sizeof b, "%y%m%d%H%M", &tmv);
  return b;
}

// The receipt's text field: the message's first characters if they are plain ASCII in the
// default alphabet, else nothing (a receipt must not carry UCS-2 or binary halves).
std::string ReceiptText(const ShortMessage& sm) {
  if (sm.data_coding != 0 && sm.data_coding != 1) return {};
  const std::string_view head =
      std::string_view(sm.short_message)
          .substr(0, std::min(sm.short_message.size(), kReceiptTextChars));
  for (char ch : head) {
    if (ch < 0x20 || ch > 0x7e) return {};
  }
  return std::string(head);
}

// The state a receipt for `dest` reports: --fail-dest-prefix, then the first matching
// --receipt-state-rule, then --receipt-state.
ReceiptState StateFor(const Options& o, const std::string& dest) {
  if (StartsWith(dest, o.fail_dest_prefix)) return ReceiptState::kUndeliverable;
  for (const auto& rule : o.state_rules) {
    if (StartsWith(dest, rule.prefix)) return rule.state;
  }
  return o.receipt_state;
}

// The deliver_sm body of a receipt: Appendix B text, receipt TLVs or both (--receipt-format),
// or --garbage-receipt-every's unparsable text.
void FillReceipt(const Options& o, const Receipt& r, ShortMessage& sm) {
  sm.source_addr_ton = r.source_ton;
  sm.source_addr_npi = r.source_npi;
  sm.source_addr = r.source;
  sm.dest_addr_ton = r.dest_ton;
  sm.dest_addr_npi = r.dest_npi;
  sm.destination_addr = r.dest;
  sm.esm_class = 0x04;  // SMSC delivery receipt
  if (r.garbage) {
    // Flagged as a receipt, but neither an id: field nor receipt TLVs: what a broken SMSC
    // sends. Control and high bytes too, so an ESME's escaping is exercised. The id is kept
    // (as ref=) so a test can tell which submit lost its receipt.
    sm.short_message = std::string("\x02\xffgarbled receipt ref=") + r.message_id + "\x7f";
    return;
  }
  if (o.receipt_format != "tlv") {
    const std::string d = Now10();
    sm.short_message = "id:" + r.message_id +
                       " sub:001 dlvrd:" + (IsDelivered(r.state) ? "001" : "000") +
                       " submit date:" + d + " done date:" + d +
                       " stat:" + std::string(ReceiptStateText(r.state)) +
                       " err:" + (IsFailure(r.state) ? "001" : "000") + " text:" + r.text;
  }
  if (o.receipt_format != "text") {
    sm.tlvs.push_back(Tlv{tag::kReceiptedMessageId, r.message_id + std::string(1, '\0')});
    // message_state (SMPP 3.4 5.2.28): 2 = DELIVERED, 5 = UNDELIVERABLE, ...
    sm.tlvs.push_back(Tlv{tag::kMessageState, std::string(1, static_cast<char>(r.state))});
  }
}

}  // namespace

void Smsc::HandleSubmit(Client* c, const Pdu& p) {
  ++counters_.submits;
  ++c->counters.submits;
  if (options_.drop_connection_after > 0 &&
      ++c->submits_seen >= static_cast<uint64_t>(options_.drop_connection_after)) {
    c->drop_after_flush = true;  // this submit is still answered; HandleBytes stops reading
  }
  Pdu resp = MakeHeaderOnly(CommandId::kSubmitSmResp, p.header.sequence_number);
  const ShortMessage& sm = *p.sm;
  resp.header.command_status = SubmitStatus(c, sm);
  if (resp.header.command_status != status::kOk) {
    ++counters_.submit_resps;
    Append(c, resp);
    return;
  }
  ++c->counters.accepted;
  ++counters_.accepted_submits;
  const uint64_t n = next_message_id_++;
  std::string id = FormatMessageId(n, options_.id_format, options_.id_width);
  TrackMessage(c, sm);
  if (options_.receipt_delay_ms >= 0 && (sm.registered_delivery & 0x01) != 0) {
    due_.ScheduleReceipt(MakeReceipt(c, sm, n, id));
  }
  resp.submit_resp.emplace().message_id = std::move(id);
  if (options_.submit_latency_ms <= 0) {
    Append(c, resp);
    ++counters_.submit_resps;
  } else if (std::optional<std::string> bytes = Encode(resp)) {
    due_.HoldResponse(c->id, std::move(*bytes));
  }
  due_.Arm();
}

// The error an accepted-looking submit gets instead of a message id, or kOk. Checked in the
// order an SMSC would: bind state, rate, destination, then its own queue and health.
uint32_t Smsc::SubmitStatus(Client* c, const ShortMessage& sm) {
  if (!c->bound || !c->can_send) return status::kInvBndSts;
  if (options_.throttle_tps > 0) {
    // A fixed one-second window per bind, on the loop's cached clock: cheap, and what many
    // SMSCs do. Throttled submits count against the window too, as they do there.
    const uint64_t now = uv_now(loop_);
    if (now - c->window_start_ms >= 1000) {
      c->window_start_ms = now;
      c->window_submits = 0;
    }
    counters_.max_window_submits = std::max(counters_.max_window_submits, ++c->window_submits);
    if (c->window_submits > static_cast<uint64_t>(options_.throttle_tps)) {
      ++counters_.throttled;
      ++c->counters.throttled;
      return status::kThrottled;
    }
  }
  if (StartsWith(sm.destination_addr, options_.reject_dest_prefix)) {
    ++counters_.rejected_submits;
    return status::kInvDstAdr;
  }
  if (!sm.validity_period.empty() && !ParseValidity(sm.validity_period, WallMs())) {
    ++counters_.invalid_validity;  // SMPP 3.4 5.1.3: ESME_RINVEXPIRY
    return status::kInvExpiry;
  }
  ++injection_seq_;
  if (options_.msgqful_every > 0 && injection_seq_ % options_.msgqful_every == 0) {
    ++counters_.msgqful;
    ++c->counters.msgqful;
    return status::kMsgQFul;
  }
  if (options_.temp_error_every > 0 && injection_seq_ % options_.temp_error_every == 0) {
    ++counters_.temp_errors;
    ++c->counters.temp_errors;
    return options_.temp_error_status;
  }
  return status::kOk;
}

// An accepted submit: count its part, check the reassembly, record whole messages.
void Smsc::TrackMessage(const Client* c, const ShortMessage& sm) {
  const PartInfo part = ExtractPart(sm);
  if (part.method == PartMethod::kInvalid) {
    ++counters_.reassembly_bad_parts;
    return;
  }
  if (!part.multipart()) {
    if (part.method == PartMethod::kPayload) ++counters_.payload_messages;
    RecordMessage(c, sm, part.method, 1, part.text);
    return;
  }
  ++counters_.parts;
  // One message: who sent it to whom under which reference (8- and 16-bit refs kept apart).
  std::string key = c->system_id;
  key += '\0';
  key += sm.source_addr;
  key += '\0';
  key += sm.destination_addr;
  key += '\0';
  key += static_cast<char>(part.method);
  key += static_cast<char>(part.ref >> 8);
  key += static_cast<char>(part.ref & 0xff);
  Reassembler::Result r = reassembler_.Add(key, part, sm.data_coding, uv_now(loop_));
  switch (r.outcome) {
    case Reassembler::Outcome::kStored:
      break;
    case Reassembler::Outcome::kComplete:
      ++counters_.reassembled_messages;
      RecordMessage(c, sm, part.method, part.total, r.text);
      break;
    case Reassembler::Outcome::kDuplicate:
      ++counters_.reassembly_duplicates;
      break;
    case Reassembler::Outcome::kMismatch:
      ++counters_.reassembly_mismatches;
      break;
    case Reassembler::Outcome::kBadPart:
      ++counters_.reassembly_bad_parts;
      break;
    case Reassembler::Outcome::kOverflow:
      ++counters_.reassembly_overflows;
      break;
  }
}

void Smsc::RecordMessage(const Client* c, const ShortMessage& sm, PartMethod method, int parts,
                         std::string_view text) {
  ++counters_.messages;
  if (messages_.open()) messages_.Record(c->system_id, sm, method, parts, text, WallMs());
}

// The receipt for an accepted submit: addressed back the way a handset reply would be, in the
// state the options give its destination, expiring with the submit's validity.
Receipt Smsc::MakeReceipt(const Client* c, const ShortMessage& sm, uint64_t id_number,
                          const std::string& message_id) {
  Receipt r;
  r.system_id = c->system_id;
  r.message_id = options_.receipt_id_format == options_.id_format
                     ? message_id
                     : FormatMessageId(id_number, options_.receipt_id_format, options_.id_width);
  r.source_ton = sm.dest_addr_ton;
  r.source_npi = sm.dest_addr_npi;
  r.source = sm.destination_addr;
  r.dest_ton = sm.source_addr_ton;
  r.dest_npi = sm.source_addr_npi;
  r.dest = sm.source_addr;
  r.text = ReceiptText(sm);
  r.state = StateFor(options_, sm.destination_addr);
  if (!sm.validity_period.empty()) {
    r.valid_until_ms = ParseValidity(sm.validity_period, WallMs()).value_or(0);
  }
  r.garbage = options_.garbage_receipt_every > 0 &&
              ++receipts_made_ % static_cast<uint64_t>(options_.garbage_receipt_every) == 0;
  counters_.garbage_receipts += r.garbage;
  return r;
}

// Sends r as a deliver_sm to the next receiver bound with its system_id (round robin) and
// keeps it until acknowledged; false when no such receiver is bound.
bool Smsc::SendReceipt(const Receipt& r) {
  std::vector<Client*>& receivers = receivers_;  // reused: this runs once per receipt
  receivers.clear();
  for (auto& [id, c] : clients_) {
    if (c->bound && c->can_receive && !c->closing && !c->draining && c->system_id == r.system_id) {
      receivers.push_back(c);
    }
  }
  if (receivers.empty()) return false;
  Client* c = receivers[next_receiver_++ % receivers.size()];
  Pdu p;
  p.header.command_id = static_cast<uint32_t>(CommandId::kDeliverSm);
  p.header.sequence_number = c->next_seq++;
  if (c->next_seq > 0x7FFFFFFF) c->next_seq = 1;  // SMPP sequence numbers stop at 0x7FFFFFFF
  FillReceipt(options_, r, p.sm.emplace());
  Append(c, p);
  if (options_.verbose) {
    fprintf(stderr, "smsc-sim: client %" PRIu64 " <- receipt %s seq %u\n", c->id,
            r.message_id.c_str(), p.header.sequence_number);
  }
  ++counters_.receipts_sent;
  ++c->counters.receipts_sent;
  if (r.sent_before) ++counters_.receipts_redelivered;
  auto [it, inserted] = c->unacked.emplace(p.header.sequence_number, r);
  if (!inserted) it->second = r;  // a wrapped sequence: the old one is long lost
  it->second.sent_before = true;
  return true;
}

}  // namespace sd::smsc_sim
