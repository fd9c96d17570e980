#include "adapters/smpp/smpp_carrier.h"

#include <netdb.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "adapters/smpp/receipt_parser.h"

namespace sd::smpp {

// One TCP connection. Freed only in the tcp handle's close callback (STYLE habit 8).
struct SmppCarrier::Connection {
  uv_tcp_t tcp;
  uv_connect_t connect_req;
  SmppCarrier* carrier = nullptr;  // always set: the close callback reports back to it
  bool current = true;             // false once the carrier let go of this connection
  bool connected = false;
  int64_t connect_deadline_ms = 0;
  // One read's worth; the session keeps partial PDUs itself. 64 KiB = one maximal PDU.
  char read_buf[64 * 1024];
};

namespace {

struct WriteReq {
  uv_write_t req;  // first member: the callback casts back from uv_write_t*
  std::string data;
  uint64_t generation;
};

// Statuses that say "not now" rather than "never": the job is retried.
bool TemporaryStatus(uint32_t st) {
  return st == status::kThrottled || st == status::kMsgQFul || st == status::kSysErr;
}

std::string Hex32(uint32_t v) {
  char buf[11];
  snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

template <typename T>
uv_handle_t* AsHandle(T* h) {
  return reinterpret_cast<uv_handle_t*>(h);
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

SmppCarrier::~SmppCarrier() {
  if (open_handles_ != 0) {
    spdlog::critical("carrier {}: destroyed before Close() completed", options_.name);
  }
}

void SmppCarrier::Start() {
  if (closing_) return;
  uv_timer_start(
      &tick_timer_, [](uv_timer_t* t) { static_cast<SmppCarrier*>(t->data)->OnTick(); },
      static_cast<uint64_t>(options_.tick_ms), static_cast<uint64_t>(options_.tick_ms));
  Connect();
}

bool SmppCarrier::Ready() const { return !closing_ && session_ && session_->CanSubmit(); }

void SmppCarrier::Connect() {
  if (closing_ || conn_ != nullptr) return;
  ++counters_.connect_attempts;
  if (counters_.connect_attempts > 1) ++counters_.reconnects;
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // Resolution is synchronous: carrier hosts are configured addresses (or names in
  // /etc/hosts); numeric addresses never touch DNS, so a DNS outage cannot wedge the loop.
  struct addrinfo* res = nullptr;
  const std::string port = std::to_string(options_.port);
  if (getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
    spdlog::warn("carrier {}: cannot resolve {}", options_.name, options_.host);
    ScheduleReconnect();
    return;
  }
  auto* c = new Connection();
  c->carrier = this;
  c->connect_deadline_ms = NowMs() + options_.connect_timeout_ms;
  uv_tcp_init(loop_, &c->tcp);
  c->tcp.data = c;
  c->connect_req.data = c;
  uv_tcp_nodelay(&c->tcp, 1);
  conn_ = c;
  ++generation_;
  const int rc =
      uv_tcp_connect(&c->connect_req, &c->tcp, res->ai_addr, [](uv_connect_t* req, int st) {
        auto* conn = static_cast<Connection*>(req->data);
        // UV_ECANCELED after Disconnect(): that connection is no longer ours to act on.
        if (conn->current) conn->carrier->OnConnected(st);
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
  const int rc = uv_read_start(
      reinterpret_cast<uv_stream_t*>(&conn_->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* conn = static_cast<Connection*>(h->data);
        *buf = uv_buf_init(conn->read_buf, sizeof conn->read_buf);
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        auto* conn = static_cast<Connection*>(s->data);
        if (conn->current) conn->carrier->OnRead(nread, buf);
      });
  if (rc != 0) {
    Disconnect(std::string("read: ") + uv_strerror(rc));
    return;
  }
  RequestFlush();
}

void SmppCarrier::OnRead(ssize_t nread, const uv_buf_t* buf) {
  if (nread == 0) return;  // EAGAIN: nothing to do
  if (nread < 0) {
    Disconnect(nread == UV_EOF ? "peer closed the connection"
                               : uv_strerror(static_cast<int>(nread)));
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
          // Mobile-originated messages are not handled yet; answering them stops the SMSC
          // from redelivering forever. Counted so an operator can see them.
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
          // That connection is gone: the SMSC redelivers the receipt on the next one.
          if (gen != generation_ || !session_) return;
          session_->AckDeliver(seq);
          RequestFlush();
        });
        break;
      }
      case SessionEvent::Kind::kUnbound:
        spdlog::info("carrier {}: unbound", options_.name);
        break;
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

void SmppCarrier::Submit(SubmitRequest req, std::function<void(SubmitResult)> done) {
  auto fail = [this, &done, &req](SubmitResult::Kind kind, std::string detail) {
    SubmitResult r;
    r.kind = kind;
    r.detail = std::move(detail);
    r.segments = req.text.segments;
    // Never call `done` from inside Submit (STYLE habit 1): the caller may hold state.
    Defer([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  };
  if (!Ready()) {
    ++counters_.temporary_failures;
    fail(SubmitResult::Kind::kTemporaryFailure, closing_   ? "shutting down"
                                                : session_ ? "window full"
                                                           : "not bound");
    return;
  }
  const int segments = req.text.segments;
  std::optional<uint32_t> seq = session_->Submit(req, NowMs());
  if (!seq) {
    // Ready() held, so only the encoder can have refused: an address longer than SMPP allows.
    ++counters_.permanent_failures;
    fail(SubmitResult::Kind::kPermanentFailure, "a field exceeds its SMPP maximum length");
    return;
  }
  ++counters_.submits;
  inflight_.emplace(*seq, InFlight{std::move(done), segments});
  RequestFlush();
}

void SmppCarrier::Defer(std::function<void()> fn) {
  if (uv_is_closing(AsHandle(&flush_check_))) {
    // Only a Submit after Close() completed gets here: a caller bug. Running `fn` now would
    // break the never-inside-Submit contract and there is no loop turn left to defer to.
    spdlog::critical("carrier {}: used after Close(); a completion is dropped", options_.name);
    return;
  }
  deferred_.push_back(std::move(fn));
  RequestFlush();
}

void SmppCarrier::RequestFlush() {
  if (uv_is_closing(AsHandle(&flush_idle_))) return;
  // The check handle runs after this turn's poll and writes everything queued in one
  // uv_write; the idle handle makes that poll non-blocking so the check runs right away.
  if (!uv_is_active(AsHandle(&flush_check_))) {
    uv_check_start(&flush_check_,
                   [](uv_check_t* c) { static_cast<SmppCarrier*>(c->data)->OnCheck(); });
  }
  if (!uv_is_active(AsHandle(&flush_idle_))) uv_idle_start(&flush_idle_, [](uv_idle_t*) {});
}

void SmppCarrier::OnCheck() {
  uv_idle_stop(&flush_idle_);
  uv_check_stop(&flush_check_);  // an active check handle would keep the loop alive
  auto deferred = std::move(deferred_);
  deferred_.clear();
  for (auto& fn : deferred) fn();
  Flush();
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
                            // Cancelled writes belong to a connection already let go.
                            if (st < 0 && st != UV_ECANCELED && self->generation_ == gen) {
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
  const bool was_connected = conn_->connected;
  if (was_connected) ++counters_.disconnects;
  if (!closing_) spdlog::warn("carrier {}: disconnected: {}", options_.name, reason);
  Connection* c = conn_;
  conn_ = nullptr;
  session_.reset();
  ++generation_;
  c->current = false;
  ++closing_connections_;
  // Closing cancels a pending connect and pending writes (their callbacks see UV_ECANCELED
  // before this close callback runs, while the carrier is still alive).
  uv_close(AsHandle(&c->tcp), [](uv_handle_t* h) {
    auto* conn = static_cast<Connection*>(h->data);
    SmppCarrier* carrier = conn->carrier;
    delete conn;
    carrier->OnConnectionClosed();
  });
  FailOutstanding(reason);
  if (!closing_) ScheduleReconnect();
}

void SmppCarrier::OnConnectionClosed() {
  --closing_connections_;
  MaybeClosed();
}

void SmppCarrier::ScheduleReconnect() {
  if (closing_) return;
  backoff_ms_ = backoff_ms_ == 0 ? options_.reconnect_initial_ms
                                 : std::min(backoff_ms_ * 2, options_.reconnect_max_ms);
  // Jitter in [backoff/2, backoff]: many daemons reconnecting to one SMSC spread out.
  std::uniform_int_distribution<int64_t> jitter(backoff_ms_ / 2, backoff_ms_);
  const int64_t delay = jitter(rng_);
  uv_timer_start(
      &reconnect_timer_, [](uv_timer_t* t) { static_cast<SmppCarrier*>(t->data)->Connect(); },
      static_cast<uint64_t>(delay), 0);
}

void SmppCarrier::Close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  closed_ = std::move(done);
  uv_timer_stop(&reconnect_timer_);
  if (session_ && session_->state() == SessionState::kBound) {
    // Unbind politely; the tick timer enforces the timeout, and the unbind_resp (or its
    // timeout) closes the session and then the connection (ProcessEvents -> Disconnect).
    session_->Unbind(NowMs(), options_.unbind_timeout_ms);
    RequestFlush();
    return;
  }
  if (session_ && session_->state() == SessionState::kUnbinding) return;  // already leaving
  Disconnect("shutting down");
  MaybeClosed();
}

void SmppCarrier::MaybeClosed() {
  if (!closing_ || conn_ != nullptr || closing_connections_ != 0) return;
  if (uv_is_closing(AsHandle(&tick_timer_))) return;  // already on its way
  // Run completions already queued (failed submits), including any that those completions
  // queue themselves (a Submit from a completion fails: we are closing), then close.
  while (!deferred_.empty()) {
    auto deferred = std::move(deferred_);
    deferred_.clear();
    for (auto& fn : deferred) fn();
  }
  auto on_close = [](uv_handle_t* h) {
    auto* self = static_cast<SmppCarrier*>(h->data);
    if (--self->open_handles_ == 0 && self->closed_) {
      auto cb = std::move(self->closed_);
      self->closed_ = nullptr;
      cb();  // may destroy the carrier: nothing touches `self` after this
    }
  };
  uv_close(AsHandle(&tick_timer_), on_close);
  uv_close(AsHandle(&reconnect_timer_), on_close);
  uv_close(AsHandle(&flush_idle_), on_close);
  uv_close(AsHandle(&flush_check_), on_close);
}

}  // namespace sd::smpp
