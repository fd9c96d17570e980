#include "bench/smsc_sim/smsc.h"

#include <cinttypes>
#include <cstdio>
#include <random>
#include <utility>
#include <vector>

#include "adapters/loop/uv_kit.h"
#include "core/log_safe.h"

namespace sd::smsc_sim {
namespace {

using namespace sd::smpp;

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
// Stats file period; also how often incomplete multiparts are checked for expiry.
constexpr uint64_t kStatsIntervalMs = 200;

const char* BindTypeName(CommandId bind) {
  return bind == CommandId::kBindTransmitter ? "tx"
         : bind == CommandId::kBindReceiver  ? "rx"
                                             : "trx";
}

bool IsResponse(uint32_t command_id) { return (command_id & 0x80000000u) != 0; }

}  // namespace

Smsc::Smsc(uv_loop_t* loop, const Options& options, std::shared_ptr<const net::TlsContext> tls,
           MessageLog& messages)
    : loop_(loop),
      options_(options),
      tls_(std::move(tls)),
      messages_(messages),
      stats_file_(options.stats_file),
      due_(loop, options, counters_,
           DueQueue::Hooks{
               [this](uint64_t client_id, const std::string& bytes) {
                 auto it = clients_.find(client_id);
                 if (it == clients_.end() || it->second->closing || it->second->draining) {
                   return false;
                 }
                 it->second->out.append(bytes);
                 dirty_.insert(client_id);
                 return true;
               },
               [this](const Receipt& r) { return SendReceipt(r); }, [this] { Flush(); }}) {
  std::random_device rd;
  next_message_id_ = (static_cast<uint64_t>(rd()) << 32) | rd();
  uv_tcp_init(loop_, &server_);
  server_.data = this;
  uv_timer_init(loop_, &stats_timer_);
  stats_timer_.data = this;
}

Smsc::~Smsc() = default;

int Smsc::Listen() {
  struct sockaddr_storage addr;
  if (uv_ip4_addr(options_.host.c_str(), options_.port, reinterpret_cast<sockaddr_in*>(&addr)) !=
          0 &&
      uv_ip6_addr(options_.host.c_str(), options_.port, reinterpret_cast<sockaddr_in6*>(&addr)) !=
          0) {
    fprintf(stderr, "smsc-sim: bad address %s\n", options_.host.c_str());
    return -1;
  }
  int rc = uv_tcp_bind(&server_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&server_), 1024,
                   [](uv_stream_t* s, int st) { static_cast<Smsc*>(s->data)->OnConnection(st); });
  }
  int port = 0;
  if (rc == 0) {
    struct sockaddr_storage bound;
    int len = sizeof bound;
    rc = uv_tcp_getsockname(&server_, reinterpret_cast<sockaddr*>(&bound), &len);
    port = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                       : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  if (rc != 0) {
    fprintf(stderr, "smsc-sim: listen on %s:%d: %s\n", options_.host.c_str(), options_.port,
            uv_strerror(rc));
    return -1;
  }
  uv_timer_start(
      &stats_timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<Smsc*>(t->data);
        self->ExpireReassembly();
        self->WriteStats();
      },
      kStatsIntervalMs, kStatsIntervalMs);
  return port;
}

void Smsc::Stop() {
  if (stopping_) return;
  stopping_ = true;
  fprintf(stderr, "smsc-sim: stopping\n");
  WriteStats();
  std::vector<Client*> all;
  for (auto& [id, c] : clients_) all.push_back(c);
  for (Client* c : all) CloseClient(c);
  due_.Close();
  loop::CloseAll({loop::AsHandle(&server_), loop::AsHandle(&stats_timer_)}, nullptr);
}

void Smsc::WriteStats() {
  if (!stats_file_.enabled()) return;
  std::vector<SessionStats> sessions;
  for (const auto& [id, c] : clients_) {
    if (c->bound)
      sessions.push_back({c->id, c->system_id, BindTypeName(c->bind_type), c->counters});
  }
  const QueueSizes q{due_.waiting(), due_.scheduled(), reassembler_.pending()};
  stats_file_.Write(StatsJson(counters_, q, sessions));
}

// Multiparts still incomplete after --reassembly-timeout-ms have lost parts.
void Smsc::ExpireReassembly() {
  counters_.reassembly_incomplete +=
      reassembler_.Expire(uv_now(loop_), static_cast<uint64_t>(options_.reassembly_timeout_ms),
                          &counters_.reassembly_missing_parts);
}

void Smsc::OnConnection(int status) {
  if (status < 0) {
    fprintf(stderr, "smsc-sim: accept: %s\n", uv_strerror(status));
    return;
  }
  auto* c = new Client();
  c->id = next_client_++;
  net::StreamOptions options;
  options.tls = tls_;
  options.max_queued_bytes = kMaxQueuedBytes;
  options.read_buffer_bytes = kReadBufferSize;
  net::StreamCallbacks callbacks;
  // The callbacks never outlive the Client: Close() silences them before it is freed.
  callbacks.on_connected = [this, c](int st, const std::string& detail) {
    OnConnected(c, st, detail);
  };
  callbacks.on_read = [this, c](std::string_view bytes) { OnRead(c, bytes); };
  callbacks.on_closed = [this, c](const std::string& reason) {
    if (options_.verbose) {
      fprintf(stderr, "smsc-sim: client %" PRIu64 ": %s\n", c->id, reason.c_str());
    }
    CloseClient(c);
  };
  callbacks.on_written = [this, c](size_t queued) { OnWritten(c, queued); };
  c->conn =
      std::make_unique<net::StreamConnection>(loop_, std::move(options), std::move(callbacks));
  if (const int rc =
          c->conn->Accept(reinterpret_cast<uv_stream_t*>(&server_), kTlsHandshakeTimeoutMs);
      rc != 0) {
    fprintf(stderr, "smsc-sim: %s\n", c->conn->last_error().c_str());
    c->closing = true;
    c->conn->Close([c] { delete c; });
    return;
  }
  ++counters_.connections;
  clients_[c->id] = c;
}

void Smsc::OnConnected(Client* c, int status, const std::string& detail) {
  if (status != 0) {
    // Only TLS gets here (a plain accept cannot fail later): wrong CA on the client, no
    // client certificate under --tls-client-ca, a plaintext peer, a handshake timeout.
    ++counters_.tls_handshake_failures;
    fprintf(stderr, "smsc-sim: client %" PRIu64 ": %s\n", c->id, detail.c_str());
    CloseClient(c);
    return;
  }
  if (tls_) {
    ++counters_.tls_handshakes;
    if (options_.verbose) {
      fprintf(stderr, "smsc-sim: client %" PRIu64 " %s session up\n", c->id,
              c->conn->tls_protocol().c_str());
    }
  }
}

void Smsc::OnRead(Client* c, std::string_view fresh) {
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
  Flush();
  if (close_after && !c->closing) CloseAfterFlush(c);
}

// Decodes and handles every whole PDU at the front of `buf`; returns the bytes consumed.
// Sets *close_after when the connection must end after the responses are flushed.
size_t Smsc::HandleBytes(Client* c, std::string_view buf, bool* close_after) {
  size_t off = 0;
  while (off < buf.size()) {
    const DecodeResult r = Decode(buf.substr(off));
    if (r.status == DecodeStatus::kNeedMore) break;
    if (r.status == DecodeStatus::kBadLength) {
      // The stream cannot be resynchronised: say why and hang up (SMPP 3.4 ESME_RINVCMDLEN).
      ++counters_.malformed_pdus;
      fprintf(stderr, "smsc-sim: client %" PRIu64 ": %s; closing\n", c->id, r.error.c_str());
      Append(c, MakeHeaderOnly(CommandId::kGenericNack, 0, status::kInvCmdLen));
      *close_after = true;
      return off;
    }
    off += r.consumed;
    const Header& h = r.pdu.header;
    if (r.status == DecodeStatus::kUnknownCommand) {
      ++counters_.unknown_pdus;
      if (options_.verbose) {
        fprintf(stderr, "smsc-sim: client %" PRIu64 " unknown command 0x%08x\n", c->id,
                h.command_id);
      }
      Append(c, MakeHeaderOnly(CommandId::kGenericNack, h.sequence_number, status::kInvCmdId));
      continue;
    }
    if (r.status == DecodeStatus::kMalformedBody) {
      ++counters_.malformed_pdus;
      if (options_.verbose) {
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
      ++counters_.dropped_connections;
      fprintf(stderr,
              "smsc-sim: client %" PRIu64 ": dropping the connection after %" PRIu64 " submits\n",
              c->id, c->submits_seen);
      *close_after = true;
      return off;
    }
  }
  return off;
}

void Smsc::HandlePdu(Client* c, const Pdu& p) {
  if (options_.verbose) {
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
      if (AckMo(c, p.header.sequence_number)) break;
      // Any status acknowledges: an ESME that refuses a receipt has still answered it.
      auto it = c->unacked.find(p.header.sequence_number);
      if (it != c->unacked.end()) {
        c->unacked.erase(it);
        ++counters_.receipts_acked;
        ++c->counters.receipts_acked;
      }
      break;
    }
    case CommandId::kEnquireLink:
      if (options_.no_enquire_link_resp) {  // a link that looks open but is dead
        ++counters_.enquire_links_ignored;
        break;
      }
      ++counters_.enquire_links;
      Append(c, MakeHeaderOnly(CommandId::kEnquireLinkResp, p.header.sequence_number));
      break;
    case CommandId::kUnbind:
      ++counters_.unbinds;
      Append(c, MakeHeaderOnly(CommandId::kUnbindResp, p.header.sequence_number));
      c->bound = false;
      break;
    default:
      // A request an SMSC does not take from an ESME (deliver_sm): refuse it. Stray
      // responses (enquire_link_resp, generic_nack, ...) need no answer.
      if (!IsResponse(p.header.command_id)) {
        ++counters_.unknown_pdus;
        Append(c, MakeHeaderOnly(CommandId::kGenericNack, p.header.sequence_number,
                                 status::kInvCmdId));
      }
      break;
  }
}

void Smsc::HandleBind(Client* c, const Pdu& p) {
  const uint32_t resp_id = p.header.command_id | 0x80000000u;
  Pdu resp = MakeHeaderOnly(static_cast<CommandId>(resp_id), p.header.sequence_number);
  if (c->bound) {
    resp.header.command_status = status::kAlyBnd;
  } else if (p.bind->system_id != options_.system_id) {
    resp.header.command_status = status::kInvSysId;
  } else if (p.bind->password != options_.password) {
    resp.header.command_status = status::kInvPaswd;
  } else if (options_.max_binds > 0) {
    int64_t open = 0;  // binds are rare: a scan is cheaper than keeping a second index right
    for (const auto& [id, other] : clients_) {
      if (other->bound && !other->closing && other->system_id == p.bind->system_id) ++open;
    }
    if (open >= options_.max_binds) {
      resp.header.command_status = status::kBindFail;
      ++counters_.bind_limit_refusals;
    }
  }
  if (resp.header.command_status != status::kOk) {
    ++counters_.bind_failures;
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
  ++counters_.binds;
  if (cmd == CommandId::kBindTransmitter) ++counters_.binds_tx;
  if (cmd == CommandId::kBindReceiver) ++counters_.binds_rx;
  if (cmd == CommandId::kBindTransceiver) ++counters_.binds_trx;
  if (options_.verbose) {
    fprintf(stderr, "smsc-sim: client %" PRIu64 " bound as '%s' (%s)\n", c->id,
            LogSafe(c->system_id).c_str(), BindTypeName(cmd));
  }
  Append(c, resp);
  if (c->can_receive) {
    due_.DrainWaiting();
    SendWaitingMo();
  }
}

void Smsc::Append(Client* c, const Pdu& p) {
  std::optional<std::string> bytes = Encode(p);
  if (!bytes) {
    // Only reachable through a bug here: every field we send is within its maximum.
    fprintf(stderr, "smsc-sim: cannot encode command 0x%08x\n", p.header.command_id);
    return;
  }
  c->out.append(*bytes);
  dirty_.insert(c->id);
}

void Smsc::Flush() {
  std::vector<Client*> failed;  // closed after the loop: CloseClient flushes too
  for (uint64_t id : dirty_) {
    auto it = clients_.find(id);
    if (it == clients_.end() || it->second->out.empty() || it->second->closing) continue;
    Client* c = it->second;
    const int rc = c->conn->Write(c->out);
    c->out.clear();
    if (rc != 0) {
      // UV_ENOBUFS: kMaxQueuedBytes reached, the peer reads nothing; else it is gone.
      if (rc == UV_ENOBUFS) {
        ++counters_.write_overflows;
        fprintf(stderr, "smsc-sim: client %" PRIu64 " reads nothing; closing\n", c->id);
      }
      failed.push_back(c);
      continue;
    }
    if (!c->paused && !c->draining && c->conn->queued_bytes() > kMaxWriteQueue) {
      c->conn->PauseReading();  // resumed by OnWritten once the peer reads again
      c->paused = true;
      ++counters_.read_pauses;
    }
  }
  dirty_.clear();
  for (Client* c : failed) CloseClient(c);
}

// A write reached the kernel; `queued` bytes still wait. Resumes a paused client once its
// queue has drained to half.
void Smsc::OnWritten(Client* c, size_t queued) {
  if (c->closing || c->draining) return;
  if (c->paused && queued <= kMaxWriteQueue / 2) {
    c->paused = false;
    c->conn->ResumeReading();
  }
}

void Smsc::CloseAfterFlush(Client* c) {
  // Stop handling requests, let the queued responses go out, say so (TCP FIN, after a TLS
  // close_notify), then close. What still arrives is read and dropped: the FIN leaves before
  // the close, so late input cannot turn the hang-up into a reset that costs the client the
  // responses it has not read yet.
  c->draining = true;
  if (c->paused) {
    c->paused = false;
    c->conn->ResumeReading();
  }
  const int rc = c->conn->Shutdown([this, c](int) { CloseClient(c); });
  if (rc != 0) CloseClient(c);
}

void Smsc::CloseClient(Client* c) {
  if (c->closing) return;
  c->closing = true;
  if (c->bound && options_.verbose) {
    fprintf(stderr, "smsc-sim: client %" PRIu64 " closed\n", c->id);
  }
  // Receipts the ESME never acknowledged are redelivered, as SMSCs do: to another receiver
  // of the same system_id now, or to the next one that binds.
  for (auto& [seq, r] : c->unacked) due_.Wait(std::move(r));
  c->unacked.clear();
  // So are messages recipients wrote (an SMSC keeps them until an ESME answers).
  for (auto& [seq, sm] : c->unacked_mo) {
    mo_waiting_.push_front(std::move(sm));
    ++counters_.mo_redelivered;
  }
  c->unacked_mo.clear();
  clients_.erase(c->id);
  c->conn->Close([c] { delete c; });  // after the last handle is freed; no callback before
  if (!stopping_) {
    due_.DrainWaiting();
    SendWaitingMo();
    Flush();
  }
}

}  // namespace sd::smsc_sim
