#include "adapters/smpp/smpp_bind.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "adapters/smpp/receipt_parser.h"
#include "adapters/smpp/submit_status.h"
#include "adapters/untrusted_log.h"

namespace sd::smpp {

using loop::AsHandle;

namespace {

std::string Hex32(uint32_t v) {
  char buf[11];
  snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

}  // namespace

SmppBind::SmppBind(uv_loop_t* loop, SmppBindOptions options)
    : loop_(loop),
      options_(std::move(options)),
      rate_(options_.rate),
      reconnect_(options_.reconnect_initial_ms, options_.reconnect_max_ms),
      rng_(std::random_device{}()) {
  uv_timer_init(loop_, &tick_timer_);
  uv_timer_init(loop_, &reconnect_timer_);
  uv_timer_init(loop_, &pace_timer_);
  uv_idle_init(loop_, &flush_idle_);
  uv_check_init(loop_, &flush_check_);
  tick_timer_.data = reconnect_timer_.data = pace_timer_.data = this;
  flush_idle_.data = flush_check_.data = this;
}

SmppBind::~SmppBind() {
  if (!handles_closed_) {
    spdlog::critical("bind {}: destroyed before Close() completed", options_.name);
  }
}

void SmppBind::Start() {
  if (closing_) return;
  uv_timer_start(
      &tick_timer_, [](uv_timer_t* t) { static_cast<SmppBind*>(t->data)->OnTick(); },
      static_cast<uint64_t>(options_.tick_ms), static_cast<uint64_t>(options_.tick_ms));
  Connect();
}

void SmppBind::Connect() {
  if (closing_ || conn_ != nullptr) return;
  ++counters_.connect_attempts;
  if (counters_.connect_attempts > 1) ++counters_.reconnects;
  net::StreamOptions so;
  so.tls = options_.tls;
  so.server_name = options_.tls_server_name;
  net::StreamCallbacks cb;
  cb.on_connected = [this](int st, const std::string& detail) { OnConnected(st, detail); };
  cb.on_read = [this](std::string_view bytes) { OnRead(bytes); };
  cb.on_closed = [this](const std::string& reason) { Disconnect(reason); };
  conn_ = std::make_unique<net::StreamConnection>(loop_, std::move(so), std::move(cb));
  ++generation_;
  // The connection's own timer covers the connect and, with TLS, the handshake.
  const int rc = conn_->Connect(options_.host, options_.port, options_.connect_timeout_ms);
  if (rc != 0) {
    spdlog::warn("bind {}: connect to {}:{}: {}", options_.name, options_.host, options_.port,
                 uv_strerror(rc));
    Disconnect(uv_strerror(rc));
  }
}

void SmppBind::OnConnected(int st, const std::string& detail) {
  if (st != 0) {
    spdlog::warn("bind {}: {}", options_.name, Untrusted(detail, kLogMessageMax));
    Disconnect(detail);
    return;
  }
  ++counters_.connects;
  if (options_.tls) {
    spdlog::info("bind {}: {} to {}:{}", options_.name, conn_->tls_protocol(), options_.host,
                 options_.port);
  }
  session_ = std::make_unique<EsmeSession>(options_.session);
  session_->Start(NowMs());
  rate_.Reset();
  RequestFlush();
}

void SmppBind::OnRead(std::string_view bytes) {
  session_->OnBytes(bytes, NowMs());
  ProcessEvents();
  RequestFlush();
}

void SmppBind::OnTick() {
  const int64_t now = NowMs();
  rate_.OnTick(NowNs());
  if (session_) {
    session_->OnTimer(now);
    ProcessEvents();
    Pump();
    RequestFlush();
  }
}

void SmppBind::ProcessEvents() {
  if (!session_) return;
  bool room = false;
  std::string closed_reason;
  bool closed = false;
  for (SessionEvent& e : session_->TakeEvents()) {
    switch (e.kind) {
      case SessionEvent::Kind::kBound:
        ++counters_.binds;
        reconnect_.Reset();  // a good bind resets the backoff
        spdlog::info("bind {}: bound to {}:{}", options_.name, options_.host, options_.port);
        room = true;
        break;
      case SessionEvent::Kind::kBindFailed:
        ++counters_.bind_failures;
        spdlog::error("bind {}: bind refused with status {}", options_.name, Hex32(e.status));
        break;
      case SessionEvent::Kind::kSubmitDone:
      case SessionEvent::Kind::kSubmitTimedOut:
        room = OnSubmitAnswer(e) || room;
        break;
      case SessionEvent::Kind::kDeliver:
        OnDeliver(e);
        break;
      case SessionEvent::Kind::kUnbound:
        spdlog::info("bind {}: unbound", options_.name);
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
  Pump();
  if (room && on_room) on_room();
}

// A submit_sm_resp (or its timeout): the part's result, the counters and the pace signal
// (submit_status.h decides the class). True when it freed a window slot.
bool SmppBind::OnSubmitAnswer(SessionEvent& e) {
  auto it = inflight_.find(e.sequence);
  if (it == inflight_.end()) return false;
  PartDone done = std::move(it->second);
  inflight_.erase(it);
  PartResult r;
  if (e.kind == SessionEvent::Kind::kSubmitTimedOut) {
    ++counters_.timeouts;
    ++counters_.temporary_failures;
    r.kind = PartResult::Kind::kTemporary;
    r.detail = "submit_sm_resp timed out";
  } else if (e.status == status::kOk) {
    ++counters_.accepted;
    rate_.OnAccepted(NowNs());
    r.kind = PartResult::Kind::kAccepted;
    r.message_id = std::move(e.message_id);
  } else {
    r.status = e.status;
    r.detail = "smpp status " + Hex32(e.status);
    switch (ClassifySubmitStatus(e.status, options_.extra_temporary_statuses)) {
      case SubmitStatusClass::kThrottled:
        ++counters_.throttled;
        if (e.status == status::kMsgQFul) {
          rate_.OnQueueFull(NowNs());
        } else {
          rate_.OnThrottled(NowNs());
        }
        r.kind = PartResult::Kind::kThrottled;
        break;
      case SubmitStatusClass::kTemporary:
        rate_.OnAccepted(NowNs());  // answered, just not for load: no pace signal
        ++counters_.temporary_failures;
        r.kind = PartResult::Kind::kTemporary;
        break;
      case SubmitStatusClass::kAccepted:  // not reached: kOk is handled above
      case SubmitStatusClass::kPermanent:
        rate_.OnAccepted(NowNs());
        ++counters_.permanent_failures;
        r.kind = PartResult::Kind::kPermanent;
        break;
    }
  }
  done(std::move(r));
  return true;
}

// A deliver_sm: a delivery receipt, or a message a recipient sent, goes to its handler and
// is answered once durable (if we die first, the SMSC delivers it again).
void SmppBind::OnDeliver(SessionEvent& e) {
  std::optional<Receipt> receipt = ParseReceipt(e.sm, "");
  if (!receipt && !FlaggedAsReceipt(e.sm)) {
    ++counters_.mo_messages;
    if (on_inbound) {
      on_inbound(e.sm, AckLater(e.sequence));
    } else if (session_) {
      session_->AckDeliver(e.sequence);  // nowhere to keep it: answered, only counted
    }
    return;
  }
  if (!receipt || receipt->message_id.empty()) {
    // A receipt we cannot read (or one whose id is empty, e.g. an empty receipted_message_id)
    // still belongs to some job: it goes to the handler like any other (empty message_id,
    // state unknown, the bytes in raw), where the store quarantines it; the SMSC is answered
    // only once that is durable.
    ++counters_.unparsable_receipts;
    receipt.emplace();
    const Tlv* payload = e.sm.FindTlv(tag::kMessagePayload);
    receipt->raw = RawReceiptText(e.sm.short_message.empty() && payload != nullptr
                                      ? std::string_view(payload->value)
                                      : std::string_view(e.sm.short_message));
  } else {
    ++counters_.receipts;
  }
  if (!on_receipt) return;  // cannot be made durable: the SMSC redelivers it later
  on_receipt(std::move(*receipt), AckLater(e.sequence));
}

std::function<void()> SmppBind::AckLater(uint32_t seq) {
  const uint64_t gen = generation_;
  return [this, gen, seq] {
    // That connection is gone: the SMSC delivers it again on the next one.
    if (gen != generation_ || !session_) return;
    session_->AckDeliver(seq);
    RequestFlush();
  };
}

void SmppBind::Enqueue(ShortMessage sm, std::shared_ptr<JobClearance> clearance, PartDone done) {
  if (closing_) {
    ++counters_.temporary_failures;
    PartResult r;
    r.detail = "shutting down";
    Defer([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
    return;
  }
  queue_.push_back(Queued{std::move(sm), std::move(clearance), std::move(done)});
  Pump();
  RequestFlush();
}

void SmppBind::Pump() {
  if (!session_ || !session_->CanSubmit() || queue_.empty()) return;
  int64_t now_ns = NowNs();
  while (!queue_.empty() && session_->CanSubmit()) {
    const int64_t next = rate_.NextSendNs();
    if (next > now_ns) {
      SchedulePace(next);
      break;
    }
    Queued q = std::move(queue_.front());
    queue_.pop_front();
    // Asked here, after the window and pace waits and in the same loop turn as the write:
    // a part queued for seconds is judged on the key and the clock of now.
    if (!Cleared(q.clearance.get())) {
      ++counters_.withheld;
      PartResult r;
      r.kind = PartResult::Kind::kWithheld;
      r.detail = q.clearance->verdict.detail;
      Defer([done = std::move(q.done), r = std::move(r)]() mutable { done(std::move(r)); });
      continue;  // it took no pace: the next part may go at once
    }
    std::optional<uint32_t> seq = session_->Submit(std::move(q.sm), NowMs());
    if (!seq) {
      // CanSubmit() held, so only the encoder refused: a field longer than SMPP allows.
      ++counters_.permanent_failures;
      PartResult r;
      r.kind = PartResult::Kind::kPermanent;
      r.detail = "a field exceeds its SMPP maximum length";
      Defer([done = std::move(q.done), r = std::move(r)]() mutable { done(std::move(r)); });
      continue;
    }
    ++counters_.submits;
    rate_.OnSent(now_ns);
    inflight_.emplace(*seq, std::move(q.done));
  }
  RequestFlush();
}

bool SmppBind::Cleared(JobClearance* clearance) {
  if (clearance == nullptr || gate_ == nullptr) return true;
  switch (clearance->state) {
    case JobClearance::State::kPassed:
      return true;
    case JobClearance::State::kWithheld:
      return false;
    case JobClearance::State::kOpen:
      break;
  }
  const GateVerdict v = gate_->Check({clearance->key_id, clearance->destination, clearance->sender,
                                      clearance->kind, clearance->expires_ms, clearance->zones});
  if (!v.send()) {
    clearance->state = JobClearance::State::kWithheld;
    clearance->verdict = v;
    return false;
  }
  clearance->state = JobClearance::State::kPassed;
  return true;
}

void SmppBind::SchedulePace(int64_t at_ns) {
  if (uv_is_closing(AsHandle(&pace_timer_))) return;
  const int64_t wait_ms = std::max<int64_t>(1, (at_ns - NowNs() + 999'999) / 1'000'000);
  uv_timer_start(
      &pace_timer_, [](uv_timer_t* t) { static_cast<SmppBind*>(t->data)->Pump(); },
      static_cast<uint64_t>(wait_ms), 0);
}

void SmppBind::Defer(std::function<void()> fn) {
  if (uv_is_closing(AsHandle(&flush_check_))) {
    spdlog::critical("bind {}: used after Close(); a completion is dropped", options_.name);
    return;
  }
  deferred_.push_back(std::move(fn));
  RequestFlush();
}

void SmppBind::RequestFlush() {
  if (uv_is_closing(AsHandle(&flush_idle_))) return;
  // The check handle runs after this turn's poll and writes everything queued in one
  // uv_write; the idle handle makes that poll non-blocking so the check runs right away.
  if (!uv_is_active(AsHandle(&flush_check_))) {
    uv_check_start(&flush_check_,
                   [](uv_check_t* c) { static_cast<SmppBind*>(c->data)->OnCheck(); });
  }
  if (!uv_is_active(AsHandle(&flush_idle_))) uv_idle_start(&flush_idle_, [](uv_idle_t*) {});
}

void SmppBind::OnCheck() {
  uv_idle_stop(&flush_idle_);
  uv_check_stop(&flush_check_);  // an active check handle would keep the loop alive
  auto deferred = std::move(deferred_);
  deferred_.clear();
  for (auto& fn : deferred) fn();
  Flush();
}

void SmppBind::Flush() {
  if (conn_ == nullptr || !session_ || !session_->HasOutput()) return;
  // One Write per loop turn: everything the session queued since the last check.
  const int rc = conn_->Write(session_->TakeOutput());
  if (rc != 0) Disconnect(std::string("write: ") + uv_strerror(rc));
}

void SmppBind::FailOutstanding(const std::string& why) {
  // Sent and unanswered: the SMSC may or may not have them. The carrier decides (it retries,
  // accepting a possible duplicate over a certain loss).
  auto inflight = std::move(inflight_);
  inflight_.clear();
  for (auto& [seq, done] : inflight) {
    ++counters_.temporary_failures;
    PartResult r;
    r.kind = PartResult::Kind::kTemporary;
    r.detail = "connection lost: " + why;
    Defer([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  }
  // Never sent: they fail as temporary too, and the carrier gives them to another bind.
  auto queued = std::move(queue_);
  queue_.clear();
  for (auto& q : queued) {
    PartResult r;
    r.kind = PartResult::Kind::kTemporary;
    r.detail = closing_ ? "shutting down" : "connection lost before sending: " + why;
    Defer([done = std::move(q.done), r = std::move(r)]() mutable { done(std::move(r)); });
  }
}

void SmppBind::Disconnect(const std::string& reason) {
  if (conn_ == nullptr) return;
  const bool was_connected = session_ != nullptr;  // a session exists only once connected
  if (was_connected) ++counters_.disconnects;
  if (!closing_) {
    spdlog::warn("bind {}: disconnected: {}", options_.name, Untrusted(reason, kLogMessageMax));
  }
  std::unique_ptr<net::StreamConnection> c = std::move(conn_);
  session_.reset();
  ++generation_;
  ++closing_connections_;
  uv_timer_stop(&pace_timer_);
  // No callback of `c` runs after Close(); its completion runs from the last libuv close
  // callback, while the bind is still alive (MaybeClosed waits for closing_connections_).
  // Destroying `c` right after is fine: the handles live on until that callback.
  c->Close([this] { OnConnectionClosed(); });
  FailOutstanding(reason);
  if (!closing_) ScheduleReconnect();
}

void SmppBind::OnConnectionClosed() {
  --closing_connections_;
  MaybeClosed();
}

void SmppBind::ScheduleReconnect() {
  if (closing_) return;
  // Jittered within [initial, max] (backoff.h): many daemons, or the binds of one, that lost
  // the same SMSC spread out instead of reconnecting in step.
  const int64_t delay = reconnect_.Next(rng_);
  uv_timer_start(
      &reconnect_timer_, [](uv_timer_t* t) { static_cast<SmppBind*>(t->data)->Connect(); },
      static_cast<uint64_t>(delay), 0);
}

void SmppBind::Close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  closed_ = std::move(done);
  uv_timer_stop(&reconnect_timer_);
  uv_timer_stop(&pace_timer_);
  if (session_ && session_->state() == SessionState::kBound) {
    // Parts not yet sent will not be: fail them now, then unbind politely. The tick timer
    // enforces the unbind timeout; unbind_resp (or its timeout) closes the connection.
    auto queued = std::move(queue_);
    queue_.clear();
    for (auto& q : queued) {
      PartResult r;
      r.detail = "shutting down";
      Defer([done = std::move(q.done), r = std::move(r)]() mutable { done(std::move(r)); });
    }
    session_->Unbind(NowMs(), options_.unbind_timeout_ms);
    RequestFlush();
    return;
  }
  if (session_ && session_->state() == SessionState::kUnbinding) return;  // already leaving
  if (conn_ != nullptr) {
    Disconnect("shutting down");
  } else {
    FailOutstanding("shutting down");  // parts queued while disconnected
  }
  MaybeClosed();
}

void SmppBind::MaybeClosed() {
  if (!closing_ || conn_ != nullptr || closing_connections_ != 0) return;
  if (uv_is_closing(AsHandle(&tick_timer_))) return;  // already on its way
  // Run completions already queued, including any that those completions queue themselves.
  while (!deferred_.empty()) {
    auto deferred = std::move(deferred_);
    deferred_.clear();
    for (auto& fn : deferred) fn();
  }
  loop::CloseAll({AsHandle(&tick_timer_), AsHandle(&reconnect_timer_), AsHandle(&pace_timer_),
                  AsHandle(&flush_idle_), AsHandle(&flush_check_)},
                 [this] {
                   handles_closed_ = true;
                   if (!closed_) return;
                   auto cb = std::move(closed_);
                   closed_ = nullptr;
                   cb();  // may destroy the bind: nothing touches `this` after this
                 });
}

}  // namespace sd::smpp
