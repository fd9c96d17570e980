#include "adapters/smpp/smpp_carrier.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "adapters/smpp/receipt_parser.h"

namespace sd::smpp {

struct SmppCarrier::Connection {
  uv_tcp_t tcp;
  uv_connect_t connect_req;
  SmppCarrier* owner = nullptr;  // null once the carrier let go of this connection
  bool connected = false;
  int64_t connect_deadline_ms = 0;
  char read_buf[64 * 1024];  // one read's worth; the session keeps partial PDUs itself
};

namespace {

struct WriteReq {
  uv_write_t req;
  std::string data;
  uint64_t generation;
};

bool TemporaryStatus(uint32_t st) {
  return st == status::kThrottled || st == status::kMsgQFul || st == status::kSysErr;
}

std::string Hex32(uint32_t v) {
  char buf[11];
  snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

}  // namespace

SmppCarrier::SmppCarrier(uv_loop_t* loop, SmppCarrierOptions options)
    : loop_(loop), options_(std::move(options)), rng_(std::random_device{}()) {
  uv_timer_init(loop_, &tick_timer_);
  uv_timer_init(loop_, &reconnect_timer_);
  uv_idle_init(loop_, &flush_idle_);
  uv_check_init(loop_, &flush_check_);
  tick_timer_.data = reconnect_timer_.data = this;
  flush_idle_.data = flush_check_.data = this;
  open_handles_ = 4;
}

SmppCarrier::~SmppCarrier() = default;

void SmppCarrier::Start() {
  uv_timer_start(
      &tick_timer_, [](uv_timer_t* t) { static_cast<SmppCarrier*>(t->data)->OnTick(); },
      options_.tick_ms, options_.tick_ms);
  uv_check_start(&flush_check_, [](uv_check_t* c) {
    auto* self = static_cast<SmppCarrier*>(c->data);
    uv_idle_stop(&self->flush_idle_);
    auto deferred = std::move(self->deferred_);
    self->deferred_.clear();
    for (auto& fn : deferred) fn();
    self->Flush();
  });
  Connect();
}

bool SmppCarrier::Ready() const {
  return !closing_ && session_ && session_->CanSubmit();
}

void SmppCarrier::Connect() {
  if (closing_) return;
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // Resolution is synchronous here: carrier hosts are configured addresses or names in
  // /etc/hosts; a DNS outage must not wedge the loop, so numeric addresses are preferred.
  struct addrinfo* res = nullptr;
  const std::string port = std::to_string(options_.port);
  if (getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
    spdlog::warn("carrier {}: cannot resolve {}", options_.name, options_.host);
    ScheduleReconnect();
    return;
  }
  auto* c = new Connection();
  c->owner = this;
  c->connect_deadline_ms = NowMs() + options_.connect_timeout_ms;
  uv_tcp_init(loop_, &c->tcp);
  c->tcp.data = c;
  c->connect_req.data = c;
  uv_tcp_nodelay(&c->tcp, 1);
  conn_ = c;
  ++generation_;
  const int rc = uv_tcp_connect(&c->connect_req, &c->tcp, res->ai_addr, [](uv_connect_t* req, int st) {
    auto* conn = static_cast<Connection*>(req->data);
    if (conn->owner != nullptr) conn->owner->OnConnected(st);
  });
  freeaddrinfo(res);
  if (rc != 0) {
    spdlog::warn("carrier {}: connect: {}", options_.name, uv_strerror(rc));
    Disconnect(uv_strerror(rc));
  }
}

void SmppCarrier::OnConnected(int st) {
  if (st != 0) {
    spdlog::warn("carrier {}: connect to {}:{} failed: {}", options_.name, options_.host,
                 options_.port, uv_strerror(st));
    Disconnect(uv_strerror(st));
    return;
  }
  conn_->connected = true;
  ++counters_.connects;
  session_ = std::make_unique<EsmeSession>(options_.session);
  session_->Start(NowMs());
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&conn_->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* conn = static_cast<Connection*>(h->data);
        *buf = uv_buf_init(conn->read_buf, sizeof conn->read_buf);
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        auto* conn = static_cast<Connection*>(s->data);
        if (conn->owner != nullptr) conn->owner->OnRead(nread, buf);
      });
  RequestFlush();
}

void SmppCarrier::OnRead(ssize_t nread, const uv_buf_t* buf) {
  if (nread == 0) return;
  if (nread < 0) {
    Disconnect(nread == UV_EOF ? "peer closed the connection" : uv_strerror(static_cast<int>(nread)));
    return;
  }
  session_->OnBytes(std::string_view(buf->base, static_cast<size_t>(nread)), NowMs());
  ProcessEvents();
  RequestFlush();
}

void SmppCarrier::OnTick() {
  const int64_t now = NowMs();
  if (conn_ != nullptr && !conn_->connected && now >= conn_->connect_deadline_ms) {
    Disconnect("connect timed out");
    return;
  }
  if (session_) {
    session_->OnTimer(now);
    ProcessEvents();
    RequestFlush();
  }
}

void SmppCarrier::ProcessEvents() {
  if (!session_) return;
  bool window_freed = false;
  std::string closed_reason;
  bool closed = false;
  for (SessionEvent& e : session_->TakeEvents()) {
    switch (e.kind) {
      case SessionEvent::Kind::kBound:
        ++counters_.binds;
        backoff_ms_ = 0;  // a good bind resets the backoff
        spdlog::info("carrier {}: bound to {}:{}", options_.name, options_.host, options_.port);
        window_freed = true;
        break;
      case SessionEvent::Kind::kBindFailed:
        ++counters_.bind_failures;
        spdlog::error("carrier {}: bind refused with status {}", options_.name, Hex32(e.status));
        break;
      case SessionEvent::Kind::kSubmitDone:
      case SessionEvent::Kind::kSubmitTimedOut: {
        auto it = inflight_.find(e.sequence);
        if (it == inflight_.end()) break;
        InFlight f = std::move(it->second);
        inflight_.erase(it);
        SubmitResult r;
        r.segments = f.segments;
        if (e.kind == SessionEvent::Kind::kSubmitTimedOut) {
          ++counters_.timeouts;
          ++counters_.temporary_failures;
          r.kind = SubmitResult::Kind::kTemporaryFailure;
          r.detail = "submit_sm_resp timed out";
        } else if (e.status == status::kOk) {
          ++counters_.accepted;
          r.kind = SubmitResult::Kind::kAccepted;
          r.message_id = std::move(e.message_id);
        } else {
          r.carrier_status = e.status;
          r.detail = "smpp status " + Hex32(e.status);
          if (TemporaryStatus(e.status)) {
            ++counters_.temporary_failures;
            r.kind = SubmitResult::Kind::kTemporaryFailure;
          } else {
            ++counters_.permanent_failures;
            r.kind = SubmitResult::Kind::kPermanentFailure;
          }
        }
        window_freed = true;
        f.done(std::move(r));
        break;
      }
      case SessionEvent::Kind::kDeliver: {
        std::optional<Receipt> receipt = ParseReceipt(e.sm, options_.name);
        if (!receipt) {
          const bool says_receipt = (e.sm.esm_class & 0x3C) == 0x04;
          ++(says_receipt ? counters_.unparsable_receipts : counters_.mo_messages);
          if (session_) session_->AckDeliver(e.sequence);
          break;
        }
        ++counters_.receipts;
        if (!receipt_handler_) {
          // Without a handler the receipt cannot be made durable: leave it unanswered so the
          // SMSC redelivers it later.
          break;
        }
        const uint64_t gen = generation_;
        const uint32_t seq = e.sequence;
        receipt_handler_(std::move(*receipt), [this, gen, seq] {
          if (gen != generation_ || !session_) return;  // that connection is gone: SMSC redelivers
          session_->AckDeliver(seq);
          RequestFlush();
        });
        break;
      }
      case SessionEvent::Kind::kClosed:
        closed = true;
        closed_reason = e.reason;
        break;
    }
    if (!session_) break;  // a completion above may have closed us
  }
  if (closed) {
    Flush();  // a final generic_nack or unbind_resp
    Disconnect(closed_reason);
    return;
  }
  if (window_freed && Ready() && ready_handler_) ready_handler_();
}

ShortMessage SmppCarrier::BuildSubmitSm(const SubmitRequest& req) {
  ShortMessage sm;
  std::string_view dest = req.destination;
  if (!dest.empty() && dest[0] == '+') dest.remove_prefix(1);
  sm.dest_addr_ton = 1;  // international
  sm.dest_addr_npi = 1;  // E.164
  sm.destination_addr = std::string(dest);
  std::string_view src = req.sender;
  const bool numeric = !src.empty() && std::all_of(src.begin() + (src[0] == '+' ? 1 : 0), src.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
  if (numeric) {
    if (src[0] == '+') src.remove_prefix(1);
    sm.source_addr_ton = 1;
    sm.source_addr_npi = 1;
  } else {
    sm.source_addr_ton = 5;  // alphanumeric
    sm.source_addr_npi = 0;
  }
  sm.source_addr = std::string(src);
  sm.data_coding = static_cast<uint8_t>(req.text.coding);
  sm.registered_delivery = req.want_receipt ? 1 : 0;
  if (req.text.bytes.size() <= 254) {
    sm.short_message = req.text.bytes;
  } else {
    sm.tlvs.push_back(Tlv{tag::kMessagePayload, req.text.bytes});
  }
  return sm;
}

void SmppCarrier::Submit(SubmitRequest req, std::function<void(SubmitResult)> done) {
  auto fail = [this, &done](SubmitResult::Kind kind, std::string detail) {
    SubmitResult r;
    r.kind = kind;
    r.detail = std::move(detail);
    // Never call `done` from inside Submit (STYLE habit 1): the caller may hold state.
    Defer([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  };
  if (!Ready()) {
    ++counters_.temporary_failures;
    fail(SubmitResult::Kind::kTemporaryFailure, session_ ? "window full" : "not bound");
    return;
  }
  const int segments = req.text.segments;
  std::optional<uint32_t> seq = session_->Submit(BuildSubmitSm(req), NowMs());
  if (!seq) {
    ++counters_.permanent_failures;
    fail(SubmitResult::Kind::kPermanentFailure, "a field exceeds its SMPP maximum length");
    return;
  }
  ++counters_.submits;
  inflight_.emplace(*seq, InFlight{std::move(done), segments});
  RequestFlush();
}

void SmppCarrier::Defer(std::function<void()> fn) {
  deferred_.push_back(std::move(fn));
  RequestFlush();
}

void SmppCarrier::RequestFlush() {
  // The idle handle makes this loop turn's poll non-blocking, so the check callback (which
  // writes everything queued this turn in one uv_write) runs right away.
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&flush_idle_)) && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&flush_idle_))) {
    uv_idle_start(&flush_idle_, [](uv_idle_t*) {});
  }
}

void SmppCarrier::Flush() {
  if (conn_ == nullptr || !conn_->connected || !session_ || !session_->HasOutput()) return;
  auto* w = new WriteReq();
  w->data = session_->TakeOutput();
  w->generation = generation_;
  w->req.data = this;
  uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  const int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&conn_->tcp), &buf, 1,
                          [](uv_write_t* req, int st) {
                            auto* wr = reinterpret_cast<WriteReq*>(req);
                            auto* self = static_cast<SmppCarrier*>(req->data);
                            const uint64_t gen = wr->generation;
                            delete wr;
                            if (st < 0 && st != UV_ECANCELED && self->generation_ == gen &&
                                self->conn_ != nullptr) {
                              self->Disconnect(std::string("write: ") + uv_strerror(st));
                            }
                          });
  if (rc != 0) {
    delete w;  // an error return means the callback is never called
    Disconnect(std::string("write: ") + uv_strerror(rc));
  }
}

void SmppCarrier::FailOutstanding(const std::string& why) {
  auto inflight = std::move(inflight_);
  inflight_.clear();
  for (auto& [seq, f] : inflight) {
    ++counters_.temporary_failures;
    SubmitResult r;
    r.kind = SubmitResult::Kind::kTemporaryFailure;
    r.detail = "connection lost: " + why;
    r.segments = f.segments;
    Defer([done = std::move(f.done), r = std::move(r)]() mutable { done(std::move(r)); });
  }
}

void SmppCarrier::Disconnect(const std::string& reason) {
  if (conn_ == nullptr) return;
  ++counters_.disconnects;
  if (!closing_) spdlog::warn("carrier {}: disconnected: {}", options_.name, reason);
  Connection* c = conn_;
  conn_ = nullptr;
  session_.reset();
  ++generation_;
  c->owner = nullptr;
  ++open_handles_;
  c->tcp.data = c;
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), [](uv_handle_t* h) {
    auto* conn = static_cast<Connection*>(h->data);
    delete conn;
  });
  // The connection's close callback cannot reach us (owner is null), so count it here: the
  // handle is closing and libuv guarantees its callback before the loop can close.
  --open_handles_;
  FailOutstanding(reason);
  if (closing_) {
    MaybeClosed();
  } else {
    ScheduleReconnect();
  }
}

void SmppCarrier::ScheduleReconnect() {
  if (closing_) return;
  backoff_ms_ = backoff_ms_ == 0 ? options_.reconnect_initial_ms
                                 : std::min(backoff_ms_ * 2, options_.reconnect_max_ms);
  // Full jitter in [backoff/2, backoff]: many daemons reconnecting to one SMSC spread out.
  std::uniform_int_distribution<int64_t> jitter(backoff_ms_ / 2, backoff_ms_);
  const int64_t delay = jitter(rng_);
  uv_timer_start(&reconnect_timer_, [](uv_timer_t* t) { static_cast<SmppCarrier*>(t->data)->Connect(); },
                 static_cast<uint64_t>(delay), 0);
}

void SmppCarrier::Close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  closed_ = std::move(done);
  uv_timer_stop(&reconnect_timer_);
  if (session_ && session_->state() == SessionState::kBound) {
    // Unbind politely; the tick timer enforces the response timeout, the unbind_resp (or
    // its timeout) closes the session and then the connection.
    session_->Unbind(NowMs());
    Flush();
    return;
  }
  if (conn_ != nullptr) {
    Disconnect("shutting down");
  } else {
    MaybeClosed();
  }
}

void SmppCarrier::MaybeClosed() {
  if (!closing_ || conn_ != nullptr || open_handles_ != 4) return;
  // Run completions already queued, then close our own handles.
  auto deferred = std::move(deferred_);
  deferred_.clear();
  for (auto& fn : deferred) fn();
  auto on_close = [](uv_handle_t* h) {
    auto* self = static_cast<SmppCarrier*>(h->data);
    if (--self->open_handles_ == 0 && self->closed_) {
      auto cb = std::move(self->closed_);
      self->closed_ = nullptr;
      cb();
    }
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&tick_timer_), on_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&reconnect_timer_), on_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&flush_idle_), on_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&flush_check_), on_close);
}

}  // namespace sd::smpp
