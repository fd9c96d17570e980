// smsc-sim: a real SMPP 3.4 SMSC on libuv for the demo, the tests and the benchmark.
// Authenticates binds, answers submit_sm with message ids after a configurable latency,
// sends delivery receipts after a configurable delay, redelivers receipts that were not
// acknowledged when a session dropped, injects the errors real SMSCs answer with (throttling,
// full queues, system errors, dropped connections, silent links), checks multipart messages
// reassemble, and counts everything it saw (docs/simulator.md).
//
// It is a benchmark sink, so the hot path is kept lean: PDUs are decoded straight from the
// bytes a read delivers when nothing is buffered, and every response produced by one read
// callback or one timer tick leaves in a single write per connection. Connections are
// sd::net::StreamConnection: plain TCP, or TLS (optionally mutual) with --tls-cert/--tls-key.
#include <nlohmann/json.hpp>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "adapters/net/stream_connection.h"
#include "adapters/net/tls_context.h"
#include "adapters/smpp/pdu.h"
#include "adapters/smpp/validity_period.h"
#include "bench/smsc_sim/message_id.h"
#include "bench/smsc_sim/multipart.h"
#include "bench/smsc_sim/receipt_state.h"
#include "bench/smsc_sim/sim_options.h"
#include "core/log_safe.h"

namespace {

using namespace sd::smpp;
using sd::LogSafe;
using sd::smsc_sim::Options;
using sd::smsc_sim::PartInfo;
using sd::smsc_sim::PartMethod;
using sd::smsc_sim::Reassembler;
using sd::smsc_sim::ReceiptState;

// A connection that stops reading its responses must not make us buffer without bound: past
// this many queued bytes we stop reading its requests until the queue drains to half.
constexpr size_t kMaxWriteQueue = 4 * 1024 * 1024;
// The connection's own hard bound (StreamOptions::max_queued_bytes). Reads stop at
// kMaxWriteQueue, but receipts keep coming from timers; a client that lets 16 times that
// pile up is not reading at all and is closed (its unacknowledged receipts are kept).
constexpr size_t kMaxQueuedBytes = 16 * kMaxWriteQueue;
// One read's worth; any PDU larger than this (up to kMaxPduSize) is assembled in Client::in.
constexpr size_t kReadBufferSize = 64 * 1024;
// A TLS client must finish its handshake within this; a silent one does not hold a slot.
constexpr int64_t kTlsHandshakeTimeoutMs = 10'000;
// SMPP 3.4 Appendix B: the receipt's text field holds the first 20 characters of the message.
constexpr size_t kReceiptTextChars = 20;

struct Counters {
  // accepted_submits: answered with a message id (each one SMS segment, for the benchmark).
  uint64_t accepted_submits = 0;
  uint64_t connections = 0, binds = 0, bind_failures = 0, submits = 0, submit_resps = 0,
           rejected_submits = 0, receipts_sent = 0, receipts_acked = 0, receipts_redelivered = 0,
           enquire_links = 0, unknown_pdus = 0, malformed_pdus = 0, unbinds = 0, read_pauses = 0;
  // Bind types, and binds refused by --max-binds (also counted in bind_failures).
  uint64_t binds_tx = 0, binds_rx = 0, binds_trx = 0, bind_limit_refusals = 0;
  // Injected errors.
  uint64_t throttled = 0, msgqful = 0, temp_errors = 0, dropped_connections = 0,
           enquire_links_ignored = 0;
  uint64_t receipts_dropped = 0;  // the waiting queue was full (--max-waiting-receipts)
  // validity_period: receipts that reported EXPIRED because the message's validity passed
  // before its receipt was due, and submits refused ESME_RINVEXPIRY for a malformed one.
  uint64_t expired_deliveries = 0, invalid_validity = 0;
  uint64_t garbage_receipts = 0;  // receipts made unparsable (--garbage-receipt-every)
  // The most submits one bind made within one --throttle-tps window (throttled ones too):
  // a count that shows whether an ESME kept under the ceiling, without timing anything.
  uint64_t max_window_submits = 0;
  // TLS (--tls-cert): handshakes completed and failed (wrong CA, no client certificate,
  // plaintext peer, timeout); write_overflows: clients closed at kMaxQueuedBytes.
  uint64_t tls_handshakes = 0, tls_handshake_failures = 0, write_overflows = 0;
  // Multipart: accepted parts, whole messages (single, payload or reassembled), and what the
  // reassembly check found.
  uint64_t parts = 0, payload_messages = 0, messages = 0, reassembled_messages = 0,
           reassembly_duplicates = 0, reassembly_mismatches = 0, reassembly_bad_parts = 0,
           reassembly_incomplete = 0, reassembly_missing_parts = 0, reassembly_overflows = 0;
};

struct Receipt {
  std::string system_id;  // goes to a receiver bound with this system_id
  std::string message_id;
  uint8_t source_ton = 0, source_npi = 0;  // the submit's destination...
  std::string source;
  uint8_t dest_ton = 0, dest_npi = 0;  // ...and source, swapped as a handset reply would be
  std::string dest;
  std::string text;  // first characters of the message, when printable
  ReceiptState state = ReceiptState::kDelivered;
  bool sent_before = false;    // a resend after a session dropped it unacknowledged
  bool garbage = false;        // --garbage-receipt-every: sent as unparsable text, no TLVs
  int64_t valid_until_ms = 0;  // wall clock from the submit's validity_period, 0 = none
};

struct Client {
  uint64_t id = 0;
  std::unique_ptr<sd::net::StreamConnection> conn;  // freed with the Client, once closed
  std::string in;   // at most one partial PDU (< kMaxPduSize) carried between reads
  std::string out;  // responses produced since the last flush
  bool bound = false;
  bool can_send = false;     // TX or TRX
  bool can_receive = false;  // RX or TRX
  bool paused = false;       // reads stopped until the write queue drains (kMaxWriteQueue)
  bool closing = false;
  bool draining = false;          // unbind, drop, bad framing: input dropped, shut down, closed
  bool drop_after_flush = false;  // --drop-connection-after reached: close once flushed
  CommandId bind_type = CommandId::kBindTransceiver;
  std::string system_id;
  // --throttle-tps: submits counted in the current one-second window of this bind.
  uint64_t window_start_ms = 0;
  uint64_t window_submits = 0;
  uint64_t submits_seen = 0;  // on this connection, for --drop-connection-after
  // Per-bind counters (stats "sessions").
  uint64_t submits = 0, accepted = 0, throttled = 0, msgqful = 0, temp_errors = 0,
           receipts_sent = 0, receipts_acked = 0;
  uint32_t next_seq = 1;
  // deliver_sm sequence -> receipt: what goes back to the waiting queue if the session drops.
  std::unordered_map<uint32_t, Receipt> unacked;
};

struct DelayedResp {
  uint64_t due_ms;
  uint64_t client_id;
  std::string bytes;  // encoded submit_sm_resp
};

struct DelayedReceipt {
  uint64_t due_ms;
  Receipt receipt;
};

Options g_opt;
Counters g_cnt;
uv_loop_t* g_loop;
uv_tcp_t g_server;
std::shared_ptr<const sd::net::TlsContext> g_tls;  // null: plain TCP
uv_timer_t g_delay_timer;
uv_timer_t g_stats_timer;
uv_signal_t g_sigterm, g_sigint, g_sigusr1;
std::unordered_map<uint64_t, Client*> g_clients;
std::unordered_set<uint64_t> g_dirty;  // clients with bytes in `out`
// Latencies are constant, so FIFO order is due order and a deque replaces a heap.
std::deque<DelayedResp> g_submit_q;
std::deque<DelayedReceipt> g_receipt_q;
std::deque<Receipt> g_waiting;  // receipts with no receiver bound yet
uint64_t g_next_client = 1;
uint64_t g_next_msgid = 0;     // random start: ids stay distinct across simulator restarts
uint64_t g_injection_seq = 0;  // submits eligible for --msgqful-every / --temp-error-every
Reassembler g_reassembler;
FILE* g_messages = nullptr;  // --messages-file
size_t g_rr = 0;
bool g_stopping = false;
bool g_stats_error_logged = false;

const char* BindTypeName(CommandId bind) {
  return bind == CommandId::kBindTransmitter ? "tx"
         : bind == CommandId::kBindReceiver  ? "rx"
                                             : "trx";
}

// Multiparts still incomplete after --reassembly-timeout-ms have lost parts.
void ExpireReassembly() {
  const size_t n =
      g_reassembler.Expire(uv_now(g_loop), static_cast<uint64_t>(g_opt.reassembly_timeout_ms),
                           &g_cnt.reassembly_missing_parts);
  g_cnt.reassembly_incomplete += n;
}

void WriteStats() {
  if (g_opt.stats_file.empty()) return;
  const std::string tmp = g_opt.stats_file + ".tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  if (f == nullptr) {
    if (!g_stats_error_logged) fprintf(stderr, "smsc-sim: %s: %s\n", tmp.c_str(), strerror(errno));
    g_stats_error_logged = true;
    return;
  }
  uint64_t bound_tx = 0, bound_rx = 0, bound_trx = 0;
  for (const auto& [id, c] : g_clients) {
    if (!c->bound) continue;
    if (c->bind_type == CommandId::kBindTransmitter) ++bound_tx;
    if (c->bind_type == CommandId::kBindReceiver) ++bound_rx;
    if (c->bind_type == CommandId::kBindTransceiver) ++bound_trx;
  }
  const std::pair<const char*, uint64_t> fields[] = {
      {"connections", g_cnt.connections},
      {"binds", g_cnt.binds},
      {"bind_failures", g_cnt.bind_failures},
      {"submits", g_cnt.submits},
      {"submit_resps", g_cnt.submit_resps},
      {"accepted_submits", g_cnt.accepted_submits},
      {"rejected_submits", g_cnt.rejected_submits},
      {"receipts_sent", g_cnt.receipts_sent},
      {"receipts_acked", g_cnt.receipts_acked},
      {"receipts_redelivered", g_cnt.receipts_redelivered},
      {"receipts_waiting", g_waiting.size()},
      {"receipts_scheduled", g_receipt_q.size()},
      {"enquire_links", g_cnt.enquire_links},
      {"unknown_pdus", g_cnt.unknown_pdus},
      {"malformed_pdus", g_cnt.malformed_pdus},
      {"unbinds", g_cnt.unbinds},
      {"read_pauses", g_cnt.read_pauses},
      {"binds_tx", g_cnt.binds_tx},
      {"binds_rx", g_cnt.binds_rx},
      {"binds_trx", g_cnt.binds_trx},
      {"bound_tx", bound_tx},
      {"bound_rx", bound_rx},
      {"bound_trx", bound_trx},
      {"bind_limit_refusals", g_cnt.bind_limit_refusals},
      {"throttled", g_cnt.throttled},
      {"msgqful", g_cnt.msgqful},
      {"temp_errors", g_cnt.temp_errors},
      {"dropped_connections", g_cnt.dropped_connections},
      {"enquire_links_ignored", g_cnt.enquire_links_ignored},
      {"receipts_dropped", g_cnt.receipts_dropped},
      {"garbage_receipts", g_cnt.garbage_receipts},
      {"expired_deliveries", g_cnt.expired_deliveries},
      {"invalid_validity", g_cnt.invalid_validity},
      {"max_window_submits", g_cnt.max_window_submits},
      {"tls_handshakes", g_cnt.tls_handshakes},
      {"tls_handshake_failures", g_cnt.tls_handshake_failures},
      {"write_overflows", g_cnt.write_overflows},
      {"parts", g_cnt.parts},
      {"payload_messages", g_cnt.payload_messages},
      {"messages", g_cnt.messages},
      {"reassembled_messages", g_cnt.reassembled_messages},
      {"reassembly_errors", g_cnt.reassembly_duplicates + g_cnt.reassembly_mismatches +
                                g_cnt.reassembly_bad_parts + g_cnt.reassembly_incomplete +
                                g_cnt.reassembly_overflows},
      {"reassembly_duplicates", g_cnt.reassembly_duplicates},
      {"reassembly_mismatches", g_cnt.reassembly_mismatches},
      {"reassembly_bad_parts", g_cnt.reassembly_bad_parts},
      {"reassembly_incomplete", g_cnt.reassembly_incomplete},
      {"reassembly_missing_parts", g_cnt.reassembly_missing_parts},
      {"reassembly_overflows", g_cnt.reassembly_overflows},
      {"reassembly_pending", g_reassembler.pending()},
  };
  nlohmann::ordered_json j;
  for (const auto& [name, value] : fields) j[name] = value;
  // One object per bound session. Field names carry a session_ prefix so that a flat
  // "name":number scan of the file never confuses them with the totals above.
  j["sessions"] = nlohmann::ordered_json::array();
  for (const auto& [id, c] : g_clients) {
    if (!c->bound) continue;
    j["sessions"].push_back({{"session_id", c->id},
                             {"session_system_id", c->system_id},
                             {"session_bind", BindTypeName(c->bind_type)},
                             {"session_submits", c->submits},
                             {"session_accepted", c->accepted},
                             {"session_throttled", c->throttled},
                             {"session_msgqful", c->msgqful},
                             {"session_temp_errors", c->temp_errors},
                             {"session_receipts_sent", c->receipts_sent},
                             {"session_receipts_acked", c->receipts_acked}});
  }
  // The system id comes from the client: bytes that are not UTF-8 are replaced, not thrown on.
  const std::string text =
      j.dump(-1, ' ', true, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  fputs(text.c_str(), f);
  const bool ok = fclose(f) == 0;
  if (ok) rename(tmp.c_str(), g_opt.stats_file.c_str());
}

void Append(Client* c, const Pdu& p) {
  std::optional<std::string> bytes = Encode(p);
  if (!bytes) {
    // Only reachable through a bug here: every field we send is within its maximum.
    fprintf(stderr, "smsc-sim: cannot encode command 0x%08x\n", p.header.command_id);
    return;
  }
  c->out.append(*bytes);
  g_dirty.insert(c->id);
}

void CloseClient(Client* c);

// A write reached the kernel; `queued` bytes still wait. Resumes a paused client once its
// queue has drained to half.
void OnWritten(Client* c, size_t queued) {
  if (c->closing || c->draining) return;
  if (c->paused && queued <= kMaxWriteQueue / 2) {
    c->paused = false;
    c->conn->ResumeReading();
  }
}

void FlushAll() {
  std::vector<Client*> failed;  // closed after the loop: CloseClient flushes too
  for (uint64_t id : g_dirty) {
    auto it = g_clients.find(id);
    if (it == g_clients.end() || it->second->out.empty() || it->second->closing) continue;
    Client* c = it->second;
    const int rc = c->conn->Write(c->out);
    c->out.clear();
    if (rc != 0) {
      // UV_ENOBUFS: kMaxQueuedBytes reached, the peer reads nothing; else it is gone.
      if (rc == UV_ENOBUFS) {
        ++g_cnt.write_overflows;
        fprintf(stderr, "smsc-sim: client %" PRIu64 " reads nothing; closing\n", c->id);
      }
      failed.push_back(c);
      continue;
    }
    if (!c->paused && !c->draining && c->conn->queued_bytes() > kMaxWriteQueue) {
      c->conn->PauseReading();  // resumed by OnWritten once the peer reads again
      c->paused = true;
      ++g_cnt.read_pauses;
    }
  }
  g_dirty.clear();
  for (Client* c : failed) CloseClient(c);
}

std::string Now10() {  // YYMMDDhhmm, UTC
  char b[16];
  const time_t t = time(nullptr);
  struct tm tmv;
  gmtime_r(&t, &tmv);
  strftime(b, sizeof b, "%y%m%d%H%M", &tmv);
  return b;
}

bool SendReceipt(const Receipt& r) {
  // Round robin over receivers bound with the same system_id.
  static std::vector<Client*> rx;
  rx.clear();
  for (auto& [id, c] : g_clients) {
    if (c->bound && c->can_receive && !c->closing && !c->draining && c->system_id == r.system_id) {
      rx.push_back(c);
    }
  }
  if (rx.empty()) return false;
  Client* c = rx[g_rr++ % rx.size()];
  Pdu p;
  p.header.command_id = static_cast<uint32_t>(CommandId::kDeliverSm);
  p.header.sequence_number = c->next_seq++;
  if (c->next_seq > 0x7FFFFFFF) c->next_seq = 1;  // SMPP sequence numbers stop at 0x7FFFFFFF
  ShortMessage& sm = p.sm.emplace();
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
  } else if (g_opt.receipt_format != "tlv") {
    const std::string d = Now10();
    sm.short_message = "id:" + r.message_id +
                       " sub:001 dlvrd:" + (sd::smsc_sim::IsDelivered(r.state) ? "001" : "000") +
                       " submit date:" + d + " done date:" + d +
                       " stat:" + std::string(sd::smsc_sim::ReceiptStateText(r.state)) +
                       " err:" + (sd::smsc_sim::IsFailure(r.state) ? "001" : "000") +
                       " text:" + r.text;
  }
  if (g_opt.receipt_format != "text" && !r.garbage) {
    sm.tlvs.push_back(Tlv{tag::kReceiptedMessageId, r.message_id + std::string(1, '\0')});
    // message_state (SMPP 3.4 5.2.28): 2 = DELIVERED, 5 = UNDELIVERABLE, ...
    sm.tlvs.push_back(Tlv{tag::kMessageState, std::string(1, static_cast<char>(r.state))});
  }
  Append(c, p);
  if (g_opt.verbose) {
    fprintf(stderr, "smsc-sim: client %" PRIu64 " <- receipt %s seq %u\n", c->id,
            r.message_id.c_str(), p.header.sequence_number);
  }
  ++g_cnt.receipts_sent;
  ++c->receipts_sent;
  if (r.sent_before) ++g_cnt.receipts_redelivered;
  auto [it, inserted] = c->unacked.emplace(p.header.sequence_number, r);
  if (!inserted) it->second = r;  // a wrapped sequence: the old one is long lost
  it->second.sent_before = true;
  return true;
}

// Holds a receipt until a receiver binds, within --max-waiting-receipts.
void Wait(Receipt&& r) {
  if (g_waiting.size() >= static_cast<size_t>(g_opt.max_waiting_receipts)) {
    ++g_cnt.receipts_dropped;
    return;
  }
  g_waiting.push_back(std::move(r));
}

void DrainWaiting() {
  while (!g_waiting.empty() && SendReceipt(g_waiting.front())) g_waiting.pop_front();
}

void ArmDelayTimer();

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A receipt due after its message's validity passed reports EXPIRED, as an SMSC that gave up
// on the message would; a receipt already sent once keeps the state it had.
void ExpireIfInvalid(Receipt& r) {
  if (r.valid_until_ms <= 0 || r.sent_before || WallMs() <= r.valid_until_ms) return;
  if (r.state == ReceiptState::kDelivered) {
    r.state = ReceiptState::kExpired;
    ++g_cnt.expired_deliveries;
  }
  r.valid_until_ms = 0;
}

void RunDue() {
  const uint64_t now = uv_now(g_loop);
  while (!g_submit_q.empty() && g_submit_q.front().due_ms <= now) {
    DelayedResp& d = g_submit_q.front();
    auto it = g_clients.find(d.client_id);
    // A draining connection loses answers still due, like those in flight on a broken link.
    if (it != g_clients.end() && !it->second->closing && !it->second->draining) {
      it->second->out.append(d.bytes);
      g_dirty.insert(d.client_id);
      ++g_cnt.submit_resps;
    }
    g_submit_q.pop_front();
  }
  while (!g_receipt_q.empty() && g_receipt_q.front().due_ms <= now) {
    ExpireIfInvalid(g_receipt_q.front().receipt);
    if (!SendReceipt(g_receipt_q.front().receipt)) Wait(std::move(g_receipt_q.front().receipt));
    g_receipt_q.pop_front();
  }
  FlushAll();
  ArmDelayTimer();
}

void ArmDelayTimer() {
  uint64_t next = UINT64_MAX;
  if (!g_submit_q.empty()) next = g_submit_q.front().due_ms;
  if (!g_receipt_q.empty()) next = std::min(next, g_receipt_q.front().due_ms);
  if (next == UINT64_MAX || g_stopping) return;
  const uint64_t now = uv_now(g_loop);
  uv_timer_start(
      &g_delay_timer, [](uv_timer_t*) { RunDue(); }, next > now ? next - now : 0, 0);
}

void CloseClient(Client* c) {
  if (c->closing) return;
  c->closing = true;
  if (c->bound && g_opt.verbose) fprintf(stderr, "smsc-sim: client %" PRIu64 " closed\n", c->id);
  // Receipts the ESME never acknowledged are redelivered, as SMSCs do: to another receiver
  // of the same system_id now, or to the next one that binds.
  for (auto& [seq, r] : c->unacked) Wait(std::move(r));
  c->unacked.clear();
  g_clients.erase(c->id);
  c->conn->Close([c] { delete c; });  // after the last handle is freed; no callback before
  if (!g_stopping) {
    DrainWaiting();
    FlushAll();
  }
}

void HandleBind(Client* c, const Pdu& p) {
  const uint32_t resp_id = p.header.command_id | 0x80000000u;
  Pdu resp = MakeHeaderOnly(static_cast<CommandId>(resp_id), p.header.sequence_number);
  if (c->bound) {
    resp.header.command_status = status::kAlyBnd;
  } else if (p.bind->system_id != g_opt.system_id) {
    resp.header.command_status = status::kInvSysId;
  } else if (p.bind->password != g_opt.password) {
    resp.header.command_status = status::kInvPaswd;
  } else if (g_opt.max_binds > 0) {
    int64_t open = 0;  // binds are rare: a scan is cheaper than keeping a second index right
    for (const auto& [id, other] : g_clients) {
      if (other->bound && !other->closing && other->system_id == p.bind->system_id) ++open;
    }
    if (open >= g_opt.max_binds) {
      resp.header.command_status = status::kBindFail;
      ++g_cnt.bind_limit_refusals;
    }
  }
  if (resp.header.command_status != status::kOk) {
    ++g_cnt.bind_failures;
    fprintf(stderr, "smsc-sim: client %" PRIu64 " bind as '%s' refused (0x%02x)\n", c->id,
            LogSafe(p.bind->system_id).c_str(), resp.header.command_status);
    Append(c, resp);  // error bind responses carry no body
    return;
  }
  resp.bind_resp.emplace().system_id = "smsc-sim";
  c->bound = true;
  c->system_id = p.bind->system_id;
  const CommandId cmd = p.command();
  c->can_send = cmd != CommandId::kBindReceiver;
  c->can_receive = cmd != CommandId::kBindTransmitter;
  c->bind_type = cmd;
  ++g_cnt.binds;
  if (cmd == CommandId::kBindTransmitter) ++g_cnt.binds_tx;
  if (cmd == CommandId::kBindReceiver) ++g_cnt.binds_rx;
  if (cmd == CommandId::kBindTransceiver) ++g_cnt.binds_trx;
  if (g_opt.verbose) {
    fprintf(stderr, "smsc-sim: client %" PRIu64 " bound as '%s' (%s)\n", c->id,
            LogSafe(c->system_id).c_str(), BindTypeName(cmd));
  }
  Append(c, resp);
  if (c->can_receive) DrainWaiting();
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return !prefix.empty() && s.compare(0, prefix.size(), prefix) == 0;
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
ReceiptState StateFor(const std::string& dest) {
  if (StartsWith(dest, g_opt.fail_dest_prefix)) return ReceiptState::kUndeliverable;
  for (const auto& rule : g_opt.state_rules) {
    if (StartsWith(dest, rule.prefix)) return rule.state;
  }
  return g_opt.receipt_state;
}

void JsonString(FILE* f, std::string_view s) {
  fputc('"', f);
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      fprintf(f, "\\%c", ch);
    } else if (ch < 0x20 || ch > 0x7e) {
      fprintf(f, "\\u%04x", ch);
    } else {
      fputc(ch, f);
    }
  }
  fputc('"', f);
}

// --messages-file: one line per whole message as the SMSC would hand it on, the user data in
// hex (it may be UCS-2 or binary) so a test can compare it byte for byte.
void RecordMessage(const Client* c, const ShortMessage& sm, PartMethod method, int parts,
                   std::string_view text) {
  ++g_cnt.messages;
  if (g_messages == nullptr) return;
  fputs("{\"system_id\":", g_messages);
  JsonString(g_messages, c->system_id);
  fputs(",\"source\":", g_messages);
  JsonString(g_messages, sm.source_addr);
  fputs(",\"dest\":", g_messages);
  JsonString(g_messages, sm.destination_addr);
  // received_ms: wall clock when the submit that completed the message arrived (its last
  // part), so tests can compare it with a job's expiry or a key's revocation.
  const auto received_ms = static_cast<long long>(WallMs());
  // The addresses' TON/NPI and the validity_period as sent (already checked: digits and a
  // sign only), so tests can check what the ESME put on the wire.
  fprintf(g_messages,
          ",\"source_ton\":%u,\"source_npi\":%u,\"dest_ton\":%u,\"dest_npi\":%u,\"validity\":",
          sm.source_addr_ton, sm.source_addr_npi, sm.dest_addr_ton, sm.dest_addr_npi);
  JsonString(g_messages, sm.validity_period);
  fprintf(g_messages,
          ",\"data_coding\":%u,\"method\":\"%s\",\"parts\":%d,\"received_ms\":%lld,\"hex\":\"",
          sm.data_coding, std::string(sd::smsc_sim::PartMethodName(method)).c_str(), parts,
          received_ms);
  for (unsigned char ch : text) fprintf(g_messages, "%02x", ch);
  fputs("\"}\n", g_messages);
  fflush(g_messages);  // tests read it while we run; only paid when the option is given
}

// An accepted submit: count its part, check the reassembly, record whole messages.
void TrackMessage(const Client* c, const ShortMessage& sm) {
  const PartInfo part = sd::smsc_sim::ExtractPart(sm);
  if (part.method == PartMethod::kInvalid) {
    ++g_cnt.reassembly_bad_parts;
    return;
  }
  if (!part.multipart()) {
    if (part.method == PartMethod::kPayload) ++g_cnt.payload_messages;
    RecordMessage(c, sm, part.method, 1, part.text);
    return;
  }
  ++g_cnt.parts;
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
  Reassembler::Result r = g_reassembler.Add(key, part, sm.data_coding, uv_now(g_loop));
  switch (r.outcome) {
    case Reassembler::Outcome::kStored:
      break;
    case Reassembler::Outcome::kComplete:
      ++g_cnt.reassembled_messages;
      RecordMessage(c, sm, part.method, part.total, r.text);
      break;
    case Reassembler::Outcome::kDuplicate:
      ++g_cnt.reassembly_duplicates;
      break;
    case Reassembler::Outcome::kMismatch:
      ++g_cnt.reassembly_mismatches;
      break;
    case Reassembler::Outcome::kBadPart:
      ++g_cnt.reassembly_bad_parts;
      break;
    case Reassembler::Outcome::kOverflow:
      ++g_cnt.reassembly_overflows;
      break;
  }
}

// The error an accepted-looking submit gets instead of a message id, or kOk. Checked in the
// order an SMSC would: bind state, rate, destination, then its own queue and health.
uint32_t SubmitStatus(Client* c, const ShortMessage& sm) {
  if (!c->bound || !c->can_send) return status::kInvBndSts;
  if (g_opt.throttle_tps > 0) {
    // A fixed one-second window per bind, on the loop's cached clock: cheap, and what many
    // SMSCs do. Throttled submits count against the window too, as they do there.
    const uint64_t now = uv_now(g_loop);
    if (now - c->window_start_ms >= 1000) {
      c->window_start_ms = now;
      c->window_submits = 0;
    }
    g_cnt.max_window_submits = std::max(g_cnt.max_window_submits, ++c->window_submits);
    if (c->window_submits > static_cast<uint64_t>(g_opt.throttle_tps)) {
      ++g_cnt.throttled;
      ++c->throttled;
      return status::kThrottled;
    }
  }
  if (StartsWith(sm.destination_addr, g_opt.reject_dest_prefix)) {
    ++g_cnt.rejected_submits;
    return status::kInvDstAdr;
  }
  if (!sm.validity_period.empty() && !sd::smpp::ParseValidity(sm.validity_period, WallMs())) {
    ++g_cnt.invalid_validity;  // SMPP 3.4 5.1.3: ESME_RINVEXPIRY
    return status::kInvExpiry;
  }
  ++g_injection_seq;
  if (g_opt.msgqful_every > 0 && g_injection_seq % g_opt.msgqful_every == 0) {
    ++g_cnt.msgqful;
    ++c->msgqful;
    return status::kMsgQFul;
  }
  if (g_opt.temp_error_every > 0 && g_injection_seq % g_opt.temp_error_every == 0) {
    ++g_cnt.temp_errors;
    ++c->temp_errors;
    return g_opt.temp_error_status;
  }
  return status::kOk;
}

void HandleSubmit(Client* c, const Pdu& p) {
  ++g_cnt.submits;
  ++c->submits;
  if (g_opt.drop_connection_after > 0 &&
      ++c->submits_seen >= static_cast<uint64_t>(g_opt.drop_connection_after)) {
    c->drop_after_flush = true;  // this submit is still answered; HandleBytes stops reading
  }
  Pdu resp = MakeHeaderOnly(CommandId::kSubmitSmResp, p.header.sequence_number);
  const ShortMessage& sm = *p.sm;
  resp.header.command_status = SubmitStatus(c, sm);
  if (resp.header.command_status != status::kOk) {
    ++g_cnt.submit_resps;
    Append(c, resp);
    return;
  }
  ++c->accepted;
  ++g_cnt.accepted_submits;
  const uint64_t n = g_next_msgid++;
  std::string id = sd::smsc_sim::FormatMessageId(n, g_opt.id_format, g_opt.id_width);
  TrackMessage(c, sm);
  const uint64_t now = uv_now(g_loop);
  const bool want_receipt = g_opt.receipt_delay_ms >= 0 && (sm.registered_delivery & 0x01) != 0;
  if (want_receipt) {
    Receipt r;
    r.system_id = c->system_id;
    r.message_id = g_opt.receipt_id_format == g_opt.id_format
                       ? id
                       : sd::smsc_sim::FormatMessageId(n, g_opt.receipt_id_format, g_opt.id_width);
    r.source_ton = sm.dest_addr_ton;
    r.source_npi = sm.dest_addr_npi;
    r.source = sm.destination_addr;
    r.dest_ton = sm.source_addr_ton;
    r.dest_npi = sm.source_addr_npi;
    r.dest = sm.source_addr;
    r.text = ReceiptText(sm);
    r.state = StateFor(sm.destination_addr);
    if (!sm.validity_period.empty()) {
      r.valid_until_ms = sd::smpp::ParseValidity(sm.validity_period, WallMs()).value_or(0);
    }
    static uint64_t receipts_made = 0;
    r.garbage = g_opt.garbage_receipt_every > 0 &&
                ++receipts_made % static_cast<uint64_t>(g_opt.garbage_receipt_every) == 0;
    g_cnt.garbage_receipts += r.garbage;
    g_receipt_q.push_back(
        DelayedReceipt{now + static_cast<uint64_t>(g_opt.receipt_delay_ms), std::move(r)});
  }
  resp.submit_resp.emplace().message_id = std::move(id);
  if (g_opt.submit_latency_ms <= 0) {
    Append(c, resp);
    ++g_cnt.submit_resps;
  } else {
    std::optional<std::string> bytes = Encode(resp);
    if (bytes) {
      g_submit_q.push_back(DelayedResp{now + static_cast<uint64_t>(g_opt.submit_latency_ms), c->id,
                                       std::move(*bytes)});
    }
  }
  ArmDelayTimer();
}

bool IsResponse(uint32_t command_id) { return (command_id & 0x80000000u) != 0; }

void HandlePdu(Client* c, const Pdu& p) {
  if (g_opt.verbose) {
    fprintf(stderr, "smsc-sim: client %" PRIu64 " -> cmd 0x%08x status 0x%x seq %u\n", c->id,
            p.header.command_id, p.header.command_status, p.header.sequence_number);
  }
  switch (p.command()) {
    case CommandId::kBindTransceiver:
    case CommandId::kBindTransmitter:
    case CommandId::kBindReceiver:
      HandleBind(c, p);
      break;
    case CommandId::kSubmitSm:
      HandleSubmit(c, p);
      break;
    case CommandId::kDeliverSmResp: {
      // Any status acknowledges: an ESME that refuses a receipt has still answered it.
      auto it = c->unacked.find(p.header.sequence_number);
      if (it != c->unacked.end()) {
        c->unacked.erase(it);
        ++g_cnt.receipts_acked;
        ++c->receipts_acked;
      }
      break;
    }
    case CommandId::kEnquireLink:
      if (g_opt.no_enquire_link_resp) {  // a link that looks open but is dead
        ++g_cnt.enquire_links_ignored;
        break;
      }
      ++g_cnt.enquire_links;
      Append(c, MakeHeaderOnly(CommandId::kEnquireLinkResp, p.header.sequence_number));
      break;
    case CommandId::kUnbind:
      ++g_cnt.unbinds;
      Append(c, MakeHeaderOnly(CommandId::kUnbindResp, p.header.sequence_number));
      c->bound = false;
      break;
    default:
      // A request an SMSC does not take from an ESME (deliver_sm): refuse it. Stray
      // responses (enquire_link_resp, generic_nack, ...) need no answer.
      if (!IsResponse(p.header.command_id)) {
        ++g_cnt.unknown_pdus;
        Append(c, MakeHeaderOnly(CommandId::kGenericNack, p.header.sequence_number,
                                 status::kInvCmdId));
      }
      break;
  }
}

void CloseAfterFlush(Client* c) {
  // Stop handling requests, let the queued responses go out, say so (TCP FIN, after a TLS
  // close_notify), then close. What still arrives is read and dropped: the FIN leaves before
  // the close, so late input cannot turn the hang-up into a reset that costs the client the
  // responses it has not read yet.
  c->draining = true;
  if (c->paused) {
    c->paused = false;
    c->conn->ResumeReading();
  }
  const int rc = c->conn->Shutdown([c](int) { CloseClient(c); });
  if (rc != 0) CloseClient(c);
}

// Decodes and handles every whole PDU at the front of `buf`; returns the bytes consumed.
// Sets *close_after when the connection must end after the responses are flushed.
size_t HandleBytes(Client* c, std::string_view buf, bool* close_after) {
  size_t off = 0;
  while (off < buf.size()) {
    const DecodeResult r = Decode(buf.substr(off));
    if (r.status == DecodeStatus::kNeedMore) break;
    if (r.status == DecodeStatus::kBadLength) {
      // The stream cannot be resynchronised: say why and hang up (SMPP 3.4 ESME_RINVCMDLEN).
      ++g_cnt.malformed_pdus;
      fprintf(stderr, "smsc-sim: client %" PRIu64 ": %s; closing\n", c->id, r.error.c_str());
      Append(c, MakeHeaderOnly(CommandId::kGenericNack, 0, status::kInvCmdLen));
      *close_after = true;
      return off;
    }
    off += r.consumed;
    const Header& h = r.pdu.header;
    if (r.status == DecodeStatus::kUnknownCommand) {
      ++g_cnt.unknown_pdus;
      if (g_opt.verbose) {
        fprintf(stderr, "smsc-sim: client %" PRIu64 " unknown command 0x%08x\n", c->id,
                h.command_id);
      }
      Append(c, MakeHeaderOnly(CommandId::kGenericNack, h.sequence_number, status::kInvCmdId));
      continue;
    }
    if (r.status == DecodeStatus::kMalformedBody) {
      ++g_cnt.malformed_pdus;
      if (g_opt.verbose) {
        fprintf(stderr, "smsc-sim: client %" PRIu64 " malformed 0x%08x\n", c->id, h.command_id);
      }
      // The framing is intact, so the session goes on; a request is refused, and a
      // malformed response (say a deliver_sm_resp) is not an acknowledgement.
      if (!IsResponse(h.command_id)) {
        Append(c, MakeHeaderOnly(CommandId::kGenericNack, h.sequence_number, status::kInvCmdLen));
      }
      continue;
    }
    HandlePdu(c, r.pdu);
    if (r.pdu.command() == CommandId::kUnbind) {
      *close_after = true;
      return off;
    }
    if (c->drop_after_flush) {  // --drop-connection-after: the rest of the input is lost
      ++g_cnt.dropped_connections;
      fprintf(stderr,
              "smsc-sim: client %" PRIu64 ": dropping the connection after %" PRIu64 " submits\n",
              c->id, c->submits_seen);
      *close_after = true;
      return off;
    }
  }
  return off;
}

void OnRead(Client* c, std::string_view fresh) {
  if (c->closing || c->draining || fresh.empty()) return;
  bool close_after = false;
  if (c->in.empty()) {
    // Common case: whole PDUs straight from the read buffer; keep only a partial tail.
    const size_t used = HandleBytes(c, fresh, &close_after);
    if (!close_after) c->in.assign(fresh.substr(used));
  } else {
    c->in.append(fresh);
    const size_t used = HandleBytes(c, c->in, &close_after);
    c->in.erase(0, used);
  }
  FlushAll();
  if (close_after && !c->closing) CloseAfterFlush(c);
}

void OnConnected(Client* c, int status, const std::string& detail) {
  if (status != 0) {
    // Only TLS gets here (a plain accept cannot fail later): wrong CA on the client, no
    // client certificate under --tls-client-ca, a plaintext peer, a handshake timeout.
    ++g_cnt.tls_handshake_failures;
    fprintf(stderr, "smsc-sim: client %" PRIu64 ": %s\n", c->id, detail.c_str());
    CloseClient(c);
    return;
  }
  if (g_tls) {
    ++g_cnt.tls_handshakes;
    if (g_opt.verbose) {
      fprintf(stderr, "smsc-sim: client %" PRIu64 " %s session up\n", c->id,
              c->conn->tls_protocol().c_str());
    }
  }
}

void OnConnection(uv_stream_t* server, int status) {
  if (status < 0) {
    fprintf(stderr, "smsc-sim: accept: %s\n", uv_strerror(status));
    return;
  }
  auto* c = new Client();
  c->id = g_next_client++;
  sd::net::StreamOptions options;
  options.tls = g_tls;
  options.max_queued_bytes = kMaxQueuedBytes;
  options.read_buffer_bytes = kReadBufferSize;
  sd::net::StreamCallbacks callbacks;
  // The callbacks never outlive the Client: Close() silences them before it is freed.
  callbacks.on_connected = [c](int st, const std::string& detail) { OnConnected(c, st, detail); };
  callbacks.on_read = [c](std::string_view bytes) { OnRead(c, bytes); };
  callbacks.on_closed = [c](const std::string& reason) {
    if (g_opt.verbose) fprintf(stderr, "smsc-sim: client %" PRIu64 ": %s\n", c->id, reason.c_str());
    CloseClient(c);
  };
  callbacks.on_written = [c](size_t queued) { OnWritten(c, queued); };
  c->conn =
      std::make_unique<sd::net::StreamConnection>(g_loop, std::move(options), std::move(callbacks));
  if (const int rc = c->conn->Accept(server, kTlsHandshakeTimeoutMs); rc != 0) {
    fprintf(stderr, "smsc-sim: %s\n", c->conn->last_error().c_str());
    c->closing = true;
    c->conn->Close([c] { delete c; });
    return;
  }
  ++g_cnt.connections;
  g_clients[c->id] = c;
}

void Stop() {
  if (g_stopping) return;
  g_stopping = true;
  fprintf(stderr, "smsc-sim: stopping\n");
  WriteStats();
  std::vector<Client*> all;
  for (auto& [id, c] : g_clients) all.push_back(c);
  for (Client* c : all) CloseClient(c);
  for (auto* h :
       {reinterpret_cast<uv_handle_t*>(&g_server), reinterpret_cast<uv_handle_t*>(&g_delay_timer),
        reinterpret_cast<uv_handle_t*>(&g_stats_timer), reinterpret_cast<uv_handle_t*>(&g_sigterm),
        reinterpret_cast<uv_handle_t*>(&g_sigint), reinterpret_cast<uv_handle_t*>(&g_sigusr1)}) {
    uv_close(h, nullptr);
  }
}

bool WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  if (f == nullptr) return false;
  fprintf(f, "%d\n", port);
  if (fclose(f) != 0) return false;
  return rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (const int rc = sd::smsc_sim::ParseOptions(argc, argv, &g_opt); rc >= 0) return rc;
  if (!g_opt.messages_file.empty()) {
    g_messages = fopen(g_opt.messages_file.c_str(), "w");
    if (g_messages == nullptr) {
      fprintf(stderr, "smsc-sim: %s: %s\n", g_opt.messages_file.c_str(), strerror(errno));
      return 1;
    }
  }
  if (!g_opt.tls_cert.empty()) {
    // Every file is read and checked now, so a bad path stops the simulator at start.
    sd::net::TlsConfig tls;
    tls.role = sd::net::TlsRole::kServer;
    tls.cert_file = g_opt.tls_cert;
    tls.key_file = g_opt.tls_key;
    tls.ca_file = g_opt.tls_client_ca;
    tls.require_client_cert = !g_opt.tls_client_ca.empty();
    auto ctx = sd::net::TlsContext::Create(tls);
    if (!ctx.ok()) {
      fprintf(stderr, "smsc-sim: TLS: %s\n", ctx.error().c_str());
      return 2;
    }
    g_tls = std::move(ctx).value();
  }
  signal(SIGPIPE, SIG_IGN);
  std::random_device rd;
  g_next_msgid = (static_cast<uint64_t>(rd()) << 32) | rd();

  g_loop = uv_default_loop();
  struct sockaddr_storage addr;
  if (uv_ip4_addr(g_opt.host.c_str(), g_opt.port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(g_opt.host.c_str(), g_opt.port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
    fprintf(stderr, "smsc-sim: bad address %s\n", g_opt.host.c_str());
    return 2;
  }
  uv_tcp_init(g_loop, &g_server);
  int rc = uv_tcp_bind(&g_server, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&g_server), 1024, OnConnection);
  int port = 0;
  if (rc == 0) {
    struct sockaddr_storage bound;
    int len = sizeof bound;
    rc = uv_tcp_getsockname(&g_server, reinterpret_cast<sockaddr*>(&bound), &len);
    port = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                       : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  if (rc != 0) {
    fprintf(stderr, "smsc-sim: listen on %s:%d: %s\n", g_opt.host.c_str(), g_opt.port,
            uv_strerror(rc));
    uv_close(reinterpret_cast<uv_handle_t*>(&g_server), nullptr);
    uv_run(g_loop, UV_RUN_DEFAULT);
    uv_loop_close(g_loop);
    return 1;
  }
  uv_timer_init(g_loop, &g_delay_timer);
  uv_timer_init(g_loop, &g_stats_timer);
  uv_timer_start(
      &g_stats_timer,
      [](uv_timer_t*) {
        ExpireReassembly();
        WriteStats();
      },
      200, 200);
  uv_signal_init(g_loop, &g_sigterm);
  uv_signal_init(g_loop, &g_sigint);
  uv_signal_start(
      &g_sigterm, [](uv_signal_t*, int) { Stop(); }, SIGTERM);
  uv_signal_start(
      &g_sigint, [](uv_signal_t*, int) { Stop(); }, SIGINT);
  // SIGUSR1: write the stats file now (tests read exact counters without waiting a period).
  uv_signal_init(g_loop, &g_sigusr1);
  uv_signal_start(
      &g_sigusr1, [](uv_signal_t*, int) { WriteStats(); }, SIGUSR1);
  // Signals are handled from here on, so the port file is the "ready" mark for tests.
  if (!g_opt.port_file.empty() && !WritePortFile(g_opt.port_file, port)) {
    fprintf(stderr, "smsc-sim: cannot write %s: %s\n", g_opt.port_file.c_str(), strerror(errno));
    Stop();
    uv_run(g_loop, UV_RUN_DEFAULT);
    uv_loop_close(g_loop);
    return 1;
  }
  WriteStats();
  fprintf(stderr, "smsc-sim: listening on %s:%d as '%s'%s\n", g_opt.host.c_str(), port,
          g_opt.system_id.c_str(),
          !g_tls                        ? ""
          : g_opt.tls_client_ca.empty() ? " (TLS)"
                                        : " (TLS, client certificates required)");
  uv_run(g_loop, UV_RUN_DEFAULT);
  WriteStats();
  if (g_messages != nullptr) fclose(g_messages);
  const int close_rc = uv_loop_close(g_loop);
  if (close_rc != 0) fprintf(stderr, "smsc-sim: handles left open at exit\n");
  return close_rc == 0 ? 0 : 1;
}
