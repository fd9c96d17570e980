// smsc-sim: a real SMPP 3.4 SMSC on libuv for the demo, the tests and the benchmark.
// Authenticates binds, answers submit_sm with message ids after a configurable latency,
// sends delivery receipts after a configurable delay, redelivers receipts that were not
// acknowledged when a session dropped, and counts everything it saw (docs/simulator.md).
//
// It is a benchmark sink, so the hot path is kept lean: one shared read buffer (the loop is
// single-threaded and copies out before the next read), PDUs decoded straight from it when
// nothing is buffered, and every response produced by one read callback or one timer tick
// leaves in a single uv_write per connection.
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "adapters/smpp/pdu.h"

namespace {

using namespace sd::smpp;

// A connection that stops reading its responses must not make us buffer without bound: past
// this many queued bytes we stop reading its requests until the queue drains to half.
constexpr size_t kMaxWriteQueue = 4 * 1024 * 1024;
// One read's worth; any PDU larger than this (up to kMaxPduSize) is assembled in Client::in.
constexpr size_t kReadBufferSize = 64 * 1024;
// SMPP 3.4 Appendix B: the receipt's text field holds the first 20 characters of the message.
constexpr size_t kReceiptTextChars = 20;

struct Options {
  std::string host = "127.0.0.1";
  int port = 2775;
  std::string port_file;
  std::string system_id = "test";
  std::string password = "secret";
  int64_t submit_latency_ms = 0;
  int64_t receipt_delay_ms = 0;  // -1: never send receipts
  std::string stats_file;
  std::string reject_dest_prefix;       // submit answered ESME_RINVDSTADR (permanent)
  std::string fail_dest_prefix;         // receipt says UNDELIV
  std::string receipt_format = "both";  // tlv | text | both
  bool verbose = false;
};

struct Counters {
  uint64_t connections = 0, binds = 0, bind_failures = 0, submits = 0, submit_resps = 0,
           rejected_submits = 0, receipts_sent = 0, receipts_acked = 0, receipts_redelivered = 0,
           enquire_links = 0, unknown_pdus = 0, malformed_pdus = 0, unbinds = 0, read_pauses = 0;
};

struct Receipt {
  std::string system_id;  // goes to a receiver bound with this system_id
  std::string message_id;
  uint8_t source_ton = 0, source_npi = 0;  // the submit's destination...
  std::string source;
  uint8_t dest_ton = 0, dest_npi = 0;  // ...and source, swapped as a handset reply would be
  std::string dest;
  std::string text;  // first characters of the message, when printable
  bool failed = false;
  bool sent_before = false;  // a resend after a session dropped it unacknowledged
};

struct Client {
  uint64_t id = 0;
  uv_tcp_t tcp;
  std::string in;   // at most one partial PDU (< kMaxPduSize) carried between reads
  std::string out;  // responses produced since the last flush
  bool bound = false;
  bool can_send = false;     // TX or TRX
  bool can_receive = false;  // RX or TRX
  bool paused = false;       // reads stopped until the write queue drains (kMaxWriteQueue)
  bool closing = false;
  std::string system_id;
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
uv_timer_t g_delay_timer;
uv_timer_t g_stats_timer;
uv_signal_t g_sigterm, g_sigint, g_sigusr1;
char g_read_buf[kReadBufferSize];
std::unordered_map<uint64_t, Client*> g_clients;
std::unordered_set<uint64_t> g_dirty;  // clients with bytes in `out`
// Latencies are constant, so FIFO order is due order and a deque replaces a heap.
std::deque<DelayedResp> g_submit_q;
std::deque<DelayedReceipt> g_receipt_q;
std::deque<Receipt> g_waiting;  // receipts with no receiver bound yet
uint64_t g_next_client = 1;
uint64_t g_next_msgid = 0;  // random start: ids stay distinct across simulator restarts
size_t g_rr = 0;
bool g_stopping = false;
bool g_stats_error_logged = false;

void WriteStats() {
  if (g_opt.stats_file.empty()) return;
  const std::string tmp = g_opt.stats_file + ".tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  if (f == nullptr) {
    if (!g_stats_error_logged) fprintf(stderr, "smsc-sim: %s: %s\n", tmp.c_str(), strerror(errno));
    g_stats_error_logged = true;
    return;
  }
  const std::pair<const char*, uint64_t> fields[] = {
      {"connections", g_cnt.connections},
      {"binds", g_cnt.binds},
      {"bind_failures", g_cnt.bind_failures},
      {"submits", g_cnt.submits},
      {"submit_resps", g_cnt.submit_resps},
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
  };
  const char* sep = "{";
  for (const auto& [name, value] : fields) {
    fprintf(f, "%s\"%s\":%" PRIu64, sep, name, value);
    sep = ",";
  }
  fputs("}\n", f);
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

void StartReading(Client* c);
void CloseClient(Client* c);

void OnWritten(uv_write_t* req, int status) {
  auto* stream = req->handle;
  delete[] static_cast<char*>(req->data);
  delete req;
  auto* c = static_cast<Client*>(stream->data);
  if (status < 0) {
    // The peer is gone. A paused client would never report it through a read, so close here.
    CloseClient(c);  // no-op when closing already (UV_ECANCELED from uv_close)
    return;
  }
  if (c->paused && !c->closing && uv_stream_get_write_queue_size(stream) <= kMaxWriteQueue / 2) {
    c->paused = false;
    StartReading(c);
  }
}

void FlushAll() {
  std::vector<Client*> failed;  // closed after the loop: CloseClient flushes too
  for (uint64_t id : g_dirty) {
    auto it = g_clients.find(id);
    if (it == g_clients.end() || it->second->out.empty() || it->second->closing) continue;
    Client* c = it->second;
    auto* stream = reinterpret_cast<uv_stream_t*>(&c->tcp);
    // Try to write at once; only what the kernel does not take is copied for a queued write.
    uv_buf_t buf = uv_buf_init(c->out.data(), static_cast<unsigned>(c->out.size()));
    int n = 0;
    if (uv_stream_get_write_queue_size(stream) == 0) n = uv_try_write(stream, &buf, 1);
    if (n < 0 && n != UV_EAGAIN) {
      c->out.clear();
      failed.push_back(c);
      continue;
    }
    const size_t done = n > 0 ? static_cast<size_t>(n) : 0;
    if (done < c->out.size()) {
      const size_t left = c->out.size() - done;
      auto* copy = new char[left];
      memcpy(copy, c->out.data() + done, left);
      auto* req = new uv_write_t;
      req->data = copy;
      uv_buf_t rest = uv_buf_init(copy, static_cast<unsigned>(left));
      if (uv_write(req, stream, &rest, 1, OnWritten) != 0) {
        delete[] copy;
        delete req;
        failed.push_back(c);
      } else if (!c->paused && uv_stream_get_write_queue_size(stream) > kMaxWriteQueue) {
        uv_read_stop(stream);  // resumed by OnWritten once the peer reads again
        c->paused = true;
        ++g_cnt.read_pauses;
      }
    }
    c->out.clear();
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
    if (c->bound && c->can_receive && !c->closing && c->system_id == r.system_id) {
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
  if (g_opt.receipt_format != "tlv") {
    const std::string d = Now10();
    sm.short_message = "id:" + r.message_id + " sub:001 dlvrd:" + (r.failed ? "000" : "001") +
                       " submit date:" + d + " done date:" + d +
                       " stat:" + (r.failed ? "UNDELIV" : "DELIVRD") +
                       " err:" + (r.failed ? "001" : "000") + " text:" + r.text;
  }
  if (g_opt.receipt_format != "text") {
    sm.tlvs.push_back(Tlv{tag::kReceiptedMessageId, r.message_id + std::string(1, '\0')});
    // message_state (SMPP 3.4 5.2.28): 2 = DELIVERED, 5 = UNDELIVERABLE.
    sm.tlvs.push_back(Tlv{tag::kMessageState, std::string(1, static_cast<char>(r.failed ? 5 : 2))});
  }
  Append(c, p);
  if (g_opt.verbose) {
    fprintf(stderr, "smsc-sim: client %" PRIu64 " <- receipt %s seq %u\n", c->id,
            r.message_id.c_str(), p.header.sequence_number);
  }
  ++g_cnt.receipts_sent;
  if (r.sent_before) ++g_cnt.receipts_redelivered;
  auto [it, inserted] = c->unacked.emplace(p.header.sequence_number, r);
  if (!inserted) it->second = r;  // a wrapped sequence: the old one is long lost
  it->second.sent_before = true;
  return true;
}

void DrainWaiting() {
  while (!g_waiting.empty() && SendReceipt(g_waiting.front())) g_waiting.pop_front();
}

void ArmDelayTimer();

void RunDue() {
  const uint64_t now = uv_now(g_loop);
  while (!g_submit_q.empty() && g_submit_q.front().due_ms <= now) {
    DelayedResp& d = g_submit_q.front();
    auto it = g_clients.find(d.client_id);
    if (it != g_clients.end() && !it->second->closing) {
      it->second->out.append(d.bytes);
      g_dirty.insert(d.client_id);
      ++g_cnt.submit_resps;
    }
    g_submit_q.pop_front();
  }
  while (!g_receipt_q.empty() && g_receipt_q.front().due_ms <= now) {
    if (!SendReceipt(g_receipt_q.front().receipt)) {
      g_waiting.push_back(std::move(g_receipt_q.front().receipt));
    }
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

void OnClientClosed(uv_handle_t* h) { delete static_cast<Client*>(h->data); }

void CloseClient(Client* c) {
  if (c->closing) return;
  c->closing = true;
  if (c->bound && g_opt.verbose) fprintf(stderr, "smsc-sim: client %" PRIu64 " closed\n", c->id);
  // Receipts the ESME never acknowledged are redelivered, as SMSCs do: to another receiver
  // of the same system_id now, or to the next one that binds.
  for (auto& [seq, r] : c->unacked) g_waiting.push_back(std::move(r));
  c->unacked.clear();
  g_clients.erase(c->id);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), OnClientClosed);
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
  }
  if (resp.header.command_status != status::kOk) {
    ++g_cnt.bind_failures;
    fprintf(stderr, "smsc-sim: client %" PRIu64 " bind as '%s' refused (0x%02x)\n", c->id,
            p.bind->system_id.c_str(), resp.header.command_status);
    Append(c, resp);  // error bind responses carry no body
    return;
  }
  resp.bind_resp.emplace().system_id = "smsc-sim";
  c->bound = true;
  c->system_id = p.bind->system_id;
  const CommandId cmd = p.command();
  c->can_send = cmd != CommandId::kBindReceiver;
  c->can_receive = cmd != CommandId::kBindTransmitter;
  ++g_cnt.binds;
  if (g_opt.verbose) {
    fprintf(stderr, "smsc-sim: client %" PRIu64 " bound as '%s' (%s)\n", c->id,
            c->system_id.c_str(),
            !c->can_receive ? "tx"
            : !c->can_send  ? "rx"
                            : "trx");
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

void HandleSubmit(Client* c, const Pdu& p) {
  ++g_cnt.submits;
  Pdu resp = MakeHeaderOnly(CommandId::kSubmitSmResp, p.header.sequence_number);
  const ShortMessage& sm = *p.sm;
  if (!c->bound || !c->can_send) {
    resp.header.command_status = status::kInvBndSts;
  } else if (StartsWith(sm.destination_addr, g_opt.reject_dest_prefix)) {
    ++g_cnt.rejected_submits;
    resp.header.command_status = status::kInvDstAdr;
  }
  if (resp.header.command_status != status::kOk) {
    ++g_cnt.submit_resps;
    Append(c, resp);
    return;
  }
  char id[24];
  snprintf(id, sizeof id, "%016" PRIx64, g_next_msgid++);
  resp.submit_resp.emplace().message_id = id;
  const uint64_t now = uv_now(g_loop);
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
  if (g_opt.receipt_delay_ms >= 0 && (sm.registered_delivery & 0x01) != 0) {
    Receipt r;
    r.system_id = c->system_id;
    r.message_id = id;
    r.source_ton = sm.dest_addr_ton;
    r.source_npi = sm.dest_addr_npi;
    r.source = sm.destination_addr;
    r.dest_ton = sm.source_addr_ton;
    r.dest_npi = sm.source_addr_npi;
    r.dest = sm.source_addr;
    r.text = ReceiptText(sm);
    r.failed = StartsWith(sm.destination_addr, g_opt.fail_dest_prefix);
    g_receipt_q.push_back(
        DelayedReceipt{now + static_cast<uint64_t>(g_opt.receipt_delay_ms), std::move(r)});
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
      }
      break;
    }
    case CommandId::kEnquireLink:
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
  // Stop taking requests, let the queued responses go out, then close.
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
  c->paused = false;  // for good: OnWritten must not resume reading
  auto* req = new uv_shutdown_t;
  req->data = c;
  const int rc =
      uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&c->tcp), [](uv_shutdown_t* r, int) {
        Client* cl = static_cast<Client*>(r->data);
        delete r;
        CloseClient(cl);  // no-op when already closing (a cancelled shutdown during Stop())
      });
  if (rc != 0) {
    delete req;
    CloseClient(c);
  }
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
  }
  return off;
}

void OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  Client* c = static_cast<Client*>(s->data);
  if (nread < 0) {
    CloseClient(c);
    return;
  }
  if (nread == 0) return;
  const std::string_view fresh(buf->base, static_cast<size_t>(nread));
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
  if (close_after) CloseAfterFlush(c);
}

void StartReading(Client* c) {
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->tcp),
      [](uv_handle_t*, size_t, uv_buf_t* b) { *b = uv_buf_init(g_read_buf, sizeof g_read_buf); },
      OnRead);
}

void OnConnection(uv_stream_t* server, int status) {
  if (status < 0) {
    fprintf(stderr, "smsc-sim: accept: %s\n", uv_strerror(status));
    return;
  }
  auto* c = new Client();
  c->id = g_next_client++;
  uv_tcp_init(g_loop, &c->tcp);
  c->tcp.data = c;
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), OnClientClosed);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  ++g_cnt.connections;
  g_clients[c->id] = c;
  StartReading(c);
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

void Usage(FILE* f) {
  fprintf(f,
          "usage: smsc-sim [options]\n"
          "  --host ADDR              listen address, IPv4 or IPv6 (127.0.0.1)\n"
          "  --port N                 listen port, 0 = ephemeral (2775)\n"
          "  --port-file PATH         write the bound port here (atomically) once listening\n"
          "  --system-id ID           accepted system_id (test)\n"
          "  --password PW            accepted password (secret)\n"
          "  --submit-latency-ms N    delay before each submit_sm_resp (0)\n"
          "  --receipt-delay-ms N     delay before each receipt, -1 = none (0)\n"
          "  --receipt-format F       tlv | text | both (both)\n"
          "  --reject-dest-prefix P   answer submits to these numbers with ESME_RINVDSTADR\n"
          "  --fail-dest-prefix P     receipts for these numbers say UNDELIV\n"
          "  --stats-file PATH        JSON counters, rewritten every 200 ms, on SIGUSR1 and at "
          "exit\n"
          "  --verbose                log every PDU\n"
          "  --help                   this text\n");
}

bool ParseInt(const char* s, int64_t lo, int64_t hi, int64_t* out) {
  errno = 0;
  char* end = nullptr;
  const long long v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
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
  constexpr int64_t kMaxDelayMs = 24LL * 3600 * 1000;  // a day: anything longer is a typo
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      Usage(stdout);
      return 0;
    }
    if (a == "--verbose") {
      g_opt.verbose = true;
      continue;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "smsc-sim: %s needs a value (see --help)\n", a.c_str());
      return 2;
    }
    const char* v = argv[++i];
    int64_t n = 0;
    bool ok = true;
    if (a == "--host") {
      g_opt.host = v;
    } else if (a == "--port") {
      ok = ParseInt(v, 0, 65535, &n);
      g_opt.port = static_cast<int>(n);
    } else if (a == "--port-file") {
      g_opt.port_file = v;
    } else if (a == "--system-id") {
      g_opt.system_id = v;
    } else if (a == "--password") {
      g_opt.password = v;
    } else if (a == "--submit-latency-ms") {
      ok = ParseInt(v, 0, kMaxDelayMs, &g_opt.submit_latency_ms);
    } else if (a == "--receipt-delay-ms") {
      ok = ParseInt(v, -1, kMaxDelayMs, &g_opt.receipt_delay_ms);
    } else if (a == "--receipt-format") {
      g_opt.receipt_format = v;
      ok = g_opt.receipt_format == "tlv" || g_opt.receipt_format == "text" ||
           g_opt.receipt_format == "both";
    } else if (a == "--reject-dest-prefix") {
      g_opt.reject_dest_prefix = v;
    } else if (a == "--fail-dest-prefix") {
      g_opt.fail_dest_prefix = v;
    } else if (a == "--stats-file") {
      g_opt.stats_file = v;
    } else {
      fprintf(stderr, "smsc-sim: unknown option %s\n", a.c_str());
      Usage(stderr);
      return 2;
    }
    if (!ok) {
      fprintf(stderr, "smsc-sim: bad value for %s: '%s' (see --help)\n", a.c_str(), v);
      return 2;
    }
  }
  // Credentials longer than SMPP allows could never match a bind; say so instead.
  if (g_opt.system_id.size() > 15 || g_opt.password.size() > 8) {
    fprintf(stderr, "smsc-sim: system_id is at most 15 and password at most 8 characters\n");
    return 2;
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
      &g_stats_timer, [](uv_timer_t*) { WriteStats(); }, 200, 200);
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
  fprintf(stderr, "smsc-sim: listening on %s:%d as '%s'\n", g_opt.host.c_str(), port,
          g_opt.system_id.c_str());
  uv_run(g_loop, UV_RUN_DEFAULT);
  WriteStats();
  const int close_rc = uv_loop_close(g_loop);
  if (close_rc != 0) fprintf(stderr, "smsc-sim: handles left open at exit\n");
  return close_rc == 0 ? 0 : 1;
}
