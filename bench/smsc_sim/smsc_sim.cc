// smsc-sim: a real SMPP 3.4 SMSC on libuv for the demo, the tests and the benchmark.
// Authenticates binds, answers submit_sm with message ids after a configurable latency,
// sends delivery receipts after a configurable delay, redelivers receipts that were not
// acknowledged when a session dropped, and counts everything it saw (docs/simulator.md).
#include <uv.h>

#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "adapters/smpp/pdu.h"

using namespace sd::smpp;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 2775;
  std::string port_file;
  std::string system_id = "test";
  std::string password = "secret";
  int64_t submit_latency_ms = 0;
  int64_t receipt_delay_ms = 0;  // -1: never send receipts
  std::string stats_file;
  std::string reject_dest_prefix;  // submit answered ESME_RINVDSTADR (permanent)
  std::string fail_dest_prefix;    // receipt says UNDELIV
  std::string receipt_format = "both";  // tlv | text | both
  bool verbose = false;
};

struct Counters {
  uint64_t connections = 0, binds = 0, bind_failures = 0, submits = 0, submit_resps = 0,
           rejected_submits = 0, receipts_sent = 0, receipts_acked = 0, receipts_redelivered = 0,
           enquire_links = 0, unknown_pdus = 0, malformed_pdus = 0, unbinds = 0;
};

struct Receipt {
  std::string system_id;
  std::string message_id;
  std::string source;  // the submit's destination
  std::string dest;    // the submit's source
  bool failed = false;
};

struct Client {
  uint64_t id;
  uv_tcp_t tcp;
  std::string in;
  std::string out;
  bool bound = false;
  bool can_send = false;     // TX or TRX
  bool can_receive = false;  // RX or TRX
  std::string system_id;
  uint32_t next_seq = 1;
  std::unordered_map<uint32_t, Receipt> unacked;  // deliver_sm seq -> receipt
  bool closing = false;
};

struct Delayed {
  uint64_t due_ms;
  uint64_t client_id;  // submit_sm_resp target (0 for receipts)
  std::string bytes;   // encoded submit_sm_resp
  Receipt receipt;     // when client_id == 0
};

Options g_opt;
Counters g_cnt;
uv_loop_t* g_loop;
uv_tcp_t g_server;
uv_timer_t g_delay_timer;
uv_timer_t g_stats_timer;
uv_signal_t g_sigterm, g_sigint, g_sigusr1;
std::unordered_map<uint64_t, Client*> g_clients;
std::unordered_set<uint64_t> g_dirty;
std::deque<Delayed> g_submit_q;   // constant latency: FIFO order is due order
std::deque<Delayed> g_receipt_q;  // likewise
std::deque<Receipt> g_waiting;    // receipts with no receiver bound yet
uint64_t g_next_client = 1;
uint64_t g_next_msgid = 0;
size_t g_rr = 0;
bool g_stopping = false;

void WriteStats() {
  if (g_opt.stats_file.empty()) return;
  const std::string tmp = g_opt.stats_file + ".tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  if (!f) return;
  fprintf(f,
          "{\"connections\":%" PRIu64 ",\"binds\":%" PRIu64 ",\"bind_failures\":%" PRIu64
          ",\"submits\":%" PRIu64 ",\"submit_resps\":%" PRIu64 ",\"rejected_submits\":%" PRIu64
          ",\"receipts_sent\":%" PRIu64 ",\"receipts_acked\":%" PRIu64
          ",\"receipts_redelivered\":%" PRIu64 ",\"receipts_waiting\":%zu,\"enquire_links\":%" PRIu64
          ",\"unknown_pdus\":%" PRIu64 ",\"malformed_pdus\":%" PRIu64 ",\"unbinds\":%" PRIu64 "}\n",
          g_cnt.connections, g_cnt.binds, g_cnt.bind_failures, g_cnt.submits, g_cnt.submit_resps,
          g_cnt.rejected_submits, g_cnt.receipts_sent, g_cnt.receipts_acked, g_cnt.receipts_redelivered,
          g_waiting.size() + g_receipt_q.size(), g_cnt.enquire_links, g_cnt.unknown_pdus,
          g_cnt.malformed_pdus, g_cnt.unbinds);
  fclose(f);
  rename(tmp.c_str(), g_opt.stats_file.c_str());
}

void Append(Client* c, const Pdu& p) {
  auto bytes = Encode(p);
  if (bytes) {
    c->out.append(*bytes);
    g_dirty.insert(c->id);
  }
}

void FlushAll() {
  for (uint64_t id : g_dirty) {
    auto it = g_clients.find(id);
    if (it == g_clients.end() || it->second->out.empty() || it->second->closing) continue;
    Client* c = it->second;
    struct W {
      uv_write_t req;
      std::string data;
    };
    auto* w = new W{{}, std::move(c->out)};
    c->out.clear();
    uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
    if (uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c->tcp), &buf, 1,
                 [](uv_write_t* r, int) { delete reinterpret_cast<W*>(r); }) != 0) {
      delete w;
    }
  }
  g_dirty.clear();
}

std::string Now10() {  // YYMMDDhhmm
  char b[16];
  time_t t = time(nullptr);
  struct tm tmv;
  gmtime_r(&t, &tmv);
  strftime(b, sizeof b, "%y%m%d%H%M", &tmv);
  return b;
}

bool SendReceipt(const Receipt& r, bool redelivery) {
  // Round robin over receivers bound with the same system_id.
  std::vector<Client*> rx;
  for (auto& [id, c] : g_clients) {
    if (c->bound && c->can_receive && !c->closing && c->system_id == r.system_id) rx.push_back(c);
  }
  if (rx.empty()) return false;
  Client* c = rx[g_rr++ % rx.size()];
  Pdu p;
  p.header.command_id = static_cast<uint32_t>(CommandId::kDeliverSm);
  p.header.sequence_number = c->next_seq++;
  ShortMessage& sm = p.sm.emplace();
  sm.source_addr_ton = 1;
  sm.source_addr_npi = 1;
  sm.source_addr = r.source;
  sm.destination_addr = r.dest;
  sm.esm_class = 0x04;  // SMSC delivery receipt
  const char* stat = r.failed ? "UNDELIV" : "DELIVRD";
  if (g_opt.receipt_format != "tlv") {
    const std::string d = Now10();
    sm.short_message = "id:" + r.message_id + " sub:001 dlvrd:" + (r.failed ? "000" : "001") +
                       " submit date:" + d + " done date:" + d + " stat:" + stat +
                       " err:" + (r.failed ? "001" : "000") + " text:";
  }
  if (g_opt.receipt_format != "text") {
    sm.tlvs.push_back(Tlv{tag::kReceiptedMessageId, r.message_id + std::string(1, '\0')});
    sm.tlvs.push_back(Tlv{tag::kMessageState, std::string(1, static_cast<char>(r.failed ? 5 : 2))});
  }
  Append(c, p);
  c->unacked.emplace(p.header.sequence_number, r);
  ++g_cnt.receipts_sent;
  if (redelivery) ++g_cnt.receipts_redelivered;
  return true;
}

void DrainWaiting() {
  while (!g_waiting.empty() && SendReceipt(g_waiting.front(), true)) g_waiting.pop_front();
}

void ArmDelayTimer();

void RunDue() {
  const uint64_t now = uv_now(g_loop);
  while (!g_submit_q.empty() && g_submit_q.front().due_ms <= now) {
    Delayed& d = g_submit_q.front();
    auto it = g_clients.find(d.client_id);
    if (it != g_clients.end() && !it->second->closing) {
      it->second->out.append(d.bytes);
      g_dirty.insert(d.client_id);
      ++g_cnt.submit_resps;
    }
    g_submit_q.pop_front();
  }
  while (!g_receipt_q.empty() && g_receipt_q.front().due_ms <= now) {
    if (!SendReceipt(g_receipt_q.front().receipt, false)) g_waiting.push_back(g_receipt_q.front().receipt);
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
  uv_timer_start(&g_delay_timer, [](uv_timer_t*) { RunDue(); }, next > now ? next - now : 0, 0);
}

void CloseClient(Client* c) {
  if (c->closing) return;
  c->closing = true;
  // Receipts the ESME never acknowledged are redelivered to the next receiver, as SMSCs do.
  for (auto& [seq, r] : c->unacked) g_waiting.push_back(r);
  c->unacked.clear();
  g_clients.erase(c->id);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), [](uv_handle_t* h) { delete static_cast<Client*>(h->data); });
}

void HandleBind(Client* c, const Pdu& p) {
  const uint32_t resp_id = p.header.command_id | 0x80000000u;
  Pdu resp = MakeHeaderOnly(static_cast<CommandId>(resp_id), p.header.sequence_number);
  resp.bind_resp.emplace().system_id = "smsc-sim";
  if (c->bound) {
    resp.header.command_status = status::kAlyBnd;
  } else if (p.bind->system_id != g_opt.system_id) {
    resp.header.command_status = status::kInvSysId;
  } else if (p.bind->password != g_opt.password) {
    resp.header.command_status = status::kInvPaswd;
  }
  if (resp.header.command_status != status::kOk) {
    ++g_cnt.bind_failures;
    resp.bind_resp.reset();
    Append(c, resp);
    return;
  }
  c->bound = true;
  c->system_id = p.bind->system_id;
  const auto cmd = p.command();
  c->can_send = cmd != CommandId::kBindReceiver;
  c->can_receive = cmd != CommandId::kBindTransmitter;
  ++g_cnt.binds;
  Append(c, resp);
  if (c->can_receive) DrainWaiting();
}

void HandleSubmit(Client* c, const Pdu& p) {
  ++g_cnt.submits;
  Pdu resp = MakeHeaderOnly(CommandId::kSubmitSmResp, p.header.sequence_number);
  if (!c->bound || !c->can_send) {
    resp.header.command_status = status::kInvBndSts;
    Append(c, resp);
    return;
  }
  const ShortMessage& sm = *p.sm;
  if (!g_opt.reject_dest_prefix.empty() && sm.destination_addr.rfind(g_opt.reject_dest_prefix, 0) == 0) {
    ++g_cnt.rejected_submits;
    resp.header.command_status = status::kInvDstAdr;
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
    g_submit_q.push_back(Delayed{now + static_cast<uint64_t>(g_opt.submit_latency_ms), c->id, *Encode(resp), {}});
  }
  if (g_opt.receipt_delay_ms >= 0 && (sm.registered_delivery & 0x01)) {
    Receipt r{c->system_id, id, sm.destination_addr, sm.source_addr,
              !g_opt.fail_dest_prefix.empty() && sm.destination_addr.rfind(g_opt.fail_dest_prefix, 0) == 0};
    g_receipt_q.push_back(Delayed{now + static_cast<uint64_t>(g_opt.receipt_delay_ms), 0, {}, std::move(r)});
  }
  ArmDelayTimer();
}

void HandlePdu(Client* c, const Pdu& p) {
  if (g_opt.verbose) fprintf(stderr, "smsc-sim: client %" PRIu64 " cmd 0x%08x seq %u\n", c->id, p.header.command_id, p.header.sequence_number);
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
    case CommandId::kEnquireLinkResp:
    case CommandId::kGenericNack:
      break;
    case CommandId::kUnbind:
      ++g_cnt.unbinds;
      Append(c, MakeHeaderOnly(CommandId::kUnbindResp, p.header.sequence_number));
      c->bound = false;
      break;
    default:
      Append(c, MakeHeaderOnly(CommandId::kGenericNack, p.header.sequence_number, status::kInvCmdId));
      break;
  }
}

void OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  Client* c = static_cast<Client*>(s->data);
  if (nread < 0) {
    free(buf->base);
    CloseClient(c);
    return;
  }
  c->in.append(buf->base, static_cast<size_t>(nread));
  free(buf->base);
  size_t off = 0;
  bool close_after = false;
  while (true) {
    DecodeResult r = Decode(std::string_view(c->in).substr(off));
    if (r.status == DecodeStatus::kNeedMore) break;
    if (r.status == DecodeStatus::kBadLength) {
      ++g_cnt.malformed_pdus;
      Append(c, MakeHeaderOnly(CommandId::kGenericNack, 0, status::kInvCmdLen));
      close_after = true;
      break;
    }
    off += r.consumed;
    if (r.status == DecodeStatus::kUnknownCommand) {
      ++g_cnt.unknown_pdus;
      Append(c, MakeHeaderOnly(CommandId::kGenericNack, r.pdu.header.sequence_number, status::kInvCmdId));
      continue;
    }
    if (r.status == DecodeStatus::kMalformedBody) {
      ++g_cnt.malformed_pdus;
      Append(c, MakeHeaderOnly(CommandId::kGenericNack, r.pdu.header.sequence_number, status::kInvCmdLen));
      continue;
    }
    HandlePdu(c, r.pdu);
    if (r.pdu.command() == CommandId::kUnbind) {
      close_after = true;
      break;
    }
  }
  c->in.erase(0, off);
  FlushAll();
  if (close_after) {
    // Let the final response go out first: close from the write queue's end via shutdown.
    auto* req = new uv_shutdown_t;
    req->data = c;
    if (uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&c->tcp), [](uv_shutdown_t* r, int) {
          Client* cl = static_cast<Client*>(r->data);
          delete r;
          CloseClient(cl);
        }) != 0) {
      delete req;
      CloseClient(c);
    }
  }
}

void OnConnection(uv_stream_t* server, int status) {
  if (status < 0) return;
  auto* c = new Client();
  c->id = g_next_client++;
  uv_tcp_init(g_loop, &c->tcp);
  c->tcp.data = c;
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), [](uv_handle_t* h) { delete static_cast<Client*>(h->data); });
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  ++g_cnt.connections;
  g_clients[c->id] = c;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp),
                [](uv_handle_t*, size_t, uv_buf_t* b) { *b = uv_buf_init(static_cast<char*>(malloc(65536)), 65536); },
                OnRead);
}

void Stop() {
  if (g_stopping) return;
  g_stopping = true;
  WriteStats();
  std::vector<Client*> all;
  for (auto& [id, c] : g_clients) all.push_back(c);
  for (Client* c : all) CloseClient(c);
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&g_server), reinterpret_cast<uv_handle_t*>(&g_delay_timer),
                         reinterpret_cast<uv_handle_t*>(&g_stats_timer), reinterpret_cast<uv_handle_t*>(&g_sigterm),
                         reinterpret_cast<uv_handle_t*>(&g_sigint), reinterpret_cast<uv_handle_t*>(&g_sigusr1)}) {
    uv_close(h, nullptr);
  }
}

void Usage(FILE* f) {
  fprintf(f,
          "usage: smsc-sim [options]\n"
          "  --host ADDR              listen address (127.0.0.1)\n"
          "  --port N                 listen port, 0 = ephemeral (2775)\n"
          "  --port-file PATH         write the bound port here once listening\n"
          "  --system-id ID           accepted system_id (test)\n"
          "  --password PW            accepted password (secret)\n"
          "  --submit-latency-ms N    delay before each submit_sm_resp (0)\n"
          "  --receipt-delay-ms N     delay before each receipt, -1 = none (0)\n"
          "  --receipt-format F       tlv | text | both (both)\n"
          "  --reject-dest-prefix P   answer submits to these numbers with ESME_RINVDSTADR\n"
          "  --fail-dest-prefix P     receipts for these numbers say UNDELIV\n"
          "  --stats-file PATH        JSON counters, rewritten every 200 ms, on SIGUSR1 and at exit\n"
          "  --verbose                log every PDU\n");
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        fprintf(stderr, "smsc-sim: %s needs a value\n", a.c_str());
        exit(2);
      }
      return argv[++i];
    };
    if (a == "--host") g_opt.host = val();
    else if (a == "--port") g_opt.port = atoi(val().c_str());
    else if (a == "--port-file") g_opt.port_file = val();
    else if (a == "--system-id") g_opt.system_id = val();
    else if (a == "--password") g_opt.password = val();
    else if (a == "--submit-latency-ms") g_opt.submit_latency_ms = atoll(val().c_str());
    else if (a == "--receipt-delay-ms") g_opt.receipt_delay_ms = atoll(val().c_str());
    else if (a == "--receipt-format") g_opt.receipt_format = val();
    else if (a == "--reject-dest-prefix") g_opt.reject_dest_prefix = val();
    else if (a == "--fail-dest-prefix") g_opt.fail_dest_prefix = val();
    else if (a == "--stats-file") g_opt.stats_file = val();
    else if (a == "--verbose") g_opt.verbose = true;
    else if (a == "--help" || a == "-h") { Usage(stdout); return 0; }
    else {
      fprintf(stderr, "smsc-sim: unknown option %s\n", a.c_str());
      Usage(stderr);
      return 2;
    }
  }
  if (g_opt.receipt_format != "tlv" && g_opt.receipt_format != "text" && g_opt.receipt_format != "both") {
    fprintf(stderr, "smsc-sim: --receipt-format must be tlv, text or both\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  g_loop = uv_default_loop();
  uv_tcp_init(g_loop, &g_server);
  struct sockaddr_in addr;
  if (uv_ip4_addr(g_opt.host.c_str(), g_opt.port, &addr) != 0) {
    fprintf(stderr, "smsc-sim: bad address %s\n", g_opt.host.c_str());
    return 2;
  }
  int rc = uv_tcp_bind(&g_server, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&g_server), 1024, OnConnection);
  if (rc != 0) {
    fprintf(stderr, "smsc-sim: listen on %s:%d: %s\n", g_opt.host.c_str(), g_opt.port, uv_strerror(rc));
    return 1;
  }
  struct sockaddr_storage bound;
  int len = sizeof bound;
  uv_tcp_getsockname(&g_server, reinterpret_cast<sockaddr*>(&bound), &len);
  const int port = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  if (!g_opt.port_file.empty()) {
    const std::string tmp = g_opt.port_file + ".tmp";
    FILE* f = fopen(tmp.c_str(), "w");
    if (f) {
      fprintf(f, "%d\n", port);
      fclose(f);
      rename(tmp.c_str(), g_opt.port_file.c_str());
    }
  }
  fprintf(stderr, "smsc-sim: listening on %s:%d\n", g_opt.host.c_str(), port);
  uv_timer_init(g_loop, &g_delay_timer);
  uv_timer_init(g_loop, &g_stats_timer);
  uv_timer_start(&g_stats_timer, [](uv_timer_t*) { WriteStats(); }, 200, 200);
  uv_signal_init(g_loop, &g_sigterm);
  uv_signal_init(g_loop, &g_sigint);
  uv_signal_start(&g_sigterm, [](uv_signal_t*, int) { Stop(); }, SIGTERM);
  uv_signal_start(&g_sigint, [](uv_signal_t*, int) { Stop(); }, SIGINT);
  // SIGUSR1: write the stats file now (tests read exact counters without waiting a period).
  uv_signal_init(g_loop, &g_sigusr1);
  uv_signal_start(&g_sigusr1, [](uv_signal_t*, int) { WriteStats(); }, SIGUSR1);
  uv_run(g_loop, UV_RUN_DEFAULT);
  WriteStats();
  return uv_loop_close(g_loop) == 0 ? 0 : 1;
}
