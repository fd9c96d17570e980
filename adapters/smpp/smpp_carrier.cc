#include "adapters/smpp/smpp_carrier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "adapters/smpp/mo_reader.h"
#include "core/backoff.h"

namespace sd::smpp {

// One Submit: its parts in order and where each stands. Shared by the part completions; the
// last one to finish reports the job.
struct SmppCarrier::Job {
  std::function<void(SubmitResult)> done;
  struct Part {
    ShortMessage sm;  // kept until accepted or given up: a retry sends it again
    int throttled = 0;
    int temporary = 0;
    bool finished = false;
    bool accepted = false;
    std::string message_id;
    std::string match_key;
    PartResult last;
  };
  std::vector<Part> parts;
  int segments = 0;  // what the outcome reports: the SMSC's own split for message_payload
  size_t unfinished = 0;
  size_t at_bind = 0;  // parts handed to a bind whose completion has not come yet
  // Whether the job may go on the wire; the binds share it through an aliasing pointer to
  // this Job, so it lives as long as any part is queued.
  JobClearance clearance;
};

using loop::AsHandle;

SmppCarrier::SmppCarrier(uv_loop_t* loop, SmppCarrierOptions options)
    : loop_(loop),
      options_(std::move(options)),
      next_ref_(static_cast<uint16_t>(std::random_device{}())),
      rng_(std::random_device{}()),
      next_turn_(loop) {
  uv_timer_init(loop_, &retry_timer_);
  retry_timer_.data = this;
  const int total = std::max(1, options_.transmit_binds) + std::max(0, options_.receiver_binds);
  for (int i = 0; i < total; ++i) {
    SmppBindOptions b;
    b.name = options_.name + "#" + std::to_string(i);
    b.host = options_.host;
    b.port = options_.port;
    b.session = options_.session;
    if (i >= std::max(1, options_.transmit_binds)) b.session.bind = BindType::kReceiver;
    b.rate = options_.rate;
    b.reconnect_initial_ms = options_.reconnect_initial_ms;
    b.reconnect_max_ms = options_.reconnect_max_ms;
    b.connect_timeout_ms = options_.connect_timeout_ms;
    b.unbind_timeout_ms = options_.unbind_timeout_ms;
    b.tick_ms = options_.tick_ms;
    b.extra_temporary_statuses = options_.extra_temporary_statuses;
    b.tls = options_.tls;
    b.tls_server_name = options_.tls_server_name;
    auto bind = std::make_unique<SmppBind>(loop_, std::move(b));
    bind->on_room = [this] {
      if (Ready() && ready_handler_) ready_handler_();
    };
    bind->on_receipt = [this](Receipt r, std::function<void()> ack) {
      r.carrier = options_.name;
      // An unparsable receipt (empty id, raw text kept) has nothing to match: it goes to the
      // store as it is, which quarantines it, and is not an odd id.
      if (!r.message_id.empty()) r.match_key = MatchKey(r.message_id, false);
      if (!receipt_handler_) return;  // not durable: left unanswered, the SMSC redelivers
      receipt_handler_(std::move(r), std::move(ack));
    };
    binds_.push_back(std::move(bind));
  }
  open_binds_ = static_cast<int>(binds_.size());
}

SmppCarrier::~SmppCarrier() {
  if (open_binds_ != 0 || !next_turn_.closed() || !uv_is_closing(AsHandle(&retry_timer_))) {
    spdlog::critical("carrier {}: destroyed before Close() completed", options_.name);
  }
}

void SmppCarrier::Start() {
  if (closing_) return;
  for (auto& b : binds_) b->Start();
}

bool SmppCarrier::Ready() const {
  if (closing_) return false;
  for (const auto& b : binds_) {
    if (b->transmits() && b->bound() && b->load() < b->window()) return true;
  }
  return false;
}

bool SmppCarrier::bound() const {
  for (const auto& b : binds_) {
    if (b->transmits() && b->bound()) return true;
  }
  return false;
}

size_t SmppCarrier::bound_binds() const {
  size_t n = 0;
  for (const auto& b : binds_) n += b->bound();
  return n;
}

int64_t SmppCarrier::backoff_ms() const {
  int64_t m = 0;
  for (const auto& b : binds_) m = std::max(m, b->backoff_ms());
  return m;
}

SmppCarrierCounters SmppCarrier::counters() const {
  SmppCarrierCounters c = own_;
  for (const auto& b : binds_) {
    const SmppBindCounters& x = b->counters();
    c.connect_attempts += x.connect_attempts;
    c.reconnects += x.reconnects;
    c.connects += x.connects;
    c.binds += x.binds;
    c.bind_failures += x.bind_failures;
    c.disconnects += x.disconnects;
    c.pdus_submitted += x.submits;
    c.throttled += x.throttled;
    c.timeouts += x.timeouts;
    c.receipts += x.receipts;
    c.mo_messages += x.mo_messages;
    c.unparsable_receipts += x.unparsable_receipts;
  }
  return c;
}

void SmppCarrier::SetSubmitGate(SubmitGate* gate) {
  for (auto& b : binds_) b->SetGate(gate);
}

void SmppCarrier::SetInboundHandler(InboundHandler handler) {
  inbound_handler_ = std::move(handler);
  for (auto& b : binds_) {
    if (!inbound_handler_) {
      b->on_inbound = nullptr;
      continue;
    }
    b->on_inbound = [this](const ShortMessage& sm, std::function<void()> ack) {
      // received_ms: the handler's wall clock (the carrier keeps only the loop's).
      inbound_handler_(ReadInbound(sm, options_.name, options_.mo_default_coding, 0),
                       std::move(ack));
    };
  }
}

SmppBind* SmppCarrier::PickBind(size_t parts) {
  // Least loaded bound transmitting bind; ties go round robin so equal binds share the work.
  SmppBind* best = nullptr;
  const size_t n = binds_.size();
  for (size_t k = 0; k < n; ++k) {
    SmppBind* b = binds_[(next_bind_ + k) % n].get();
    if (!b->transmits() || !b->bound()) continue;
    if (best == nullptr || b->load() < best->load()) best = b;
  }
  next_bind_ = (next_bind_ + 1) % n;
  (void)parts;
  return best;
}

void SmppCarrier::Submit(SubmitRequest req, std::function<void(SubmitResult)> done) {
  ++own_.submits;
  auto fail = [this, &done](SubmitResult::Kind kind, std::string detail, int segments) {
    ++(kind == SubmitResult::Kind::kTemporaryFailure ? own_.temporary_failures
                                                     : own_.permanent_failures);
    SubmitResult r;
    r.kind = kind;
    r.detail = std::move(detail);
    r.segments = segments;
    // Never call `done` from inside Submit (STYLE habit 1): the caller may hold state.
    Defer([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  };
  if (!Ready()) {
    fail(SubmitResult::Kind::kTemporaryFailure,
         closing_  ? "shutting down"
         : bound() ? "window full"
                   : "not bound",
         req.text.segments);
    return;
  }
  const int64_t wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  auto parts =
      BuildParts(req, options_.parts, options_.session.registered_delivery, next_ref_++, wall_ms);
  if (!parts) {
    fail(SubmitResult::Kind::kPermanentFailure, parts.error().detail, req.text.segments);
    return;
  }
  auto job = std::make_shared<Job>();
  job->done = std::move(done);
  job->clearance.key_id = std::move(req.key_id);
  job->clearance.expires_ms = req.expires_ms;
  job->clearance.destination = req.destination;
  job->clearance.sender = req.sender;
  job->clearance.kind = req.kind;
  job->clearance.zones = req.zones;
  job->parts.resize(parts->size());
  for (size_t i = 0; i < parts->size(); ++i) job->parts[i].sm = std::move((*parts)[i]);
  job->unfinished = job->parts.size();
  job->segments =
      job->parts.size() > 1 ? static_cast<int>(job->parts.size()) : std::max(1, req.text.segments);
  own_.parts += job->parts.size();
  if (job->parts.size() > 1) ++own_.multipart;
  SmppBind* bind = PickBind(job->parts.size());
  for (size_t i = 0; i < job->parts.size(); ++i) SendPart(job, i, bind);
}

void SmppCarrier::SendPart(const std::shared_ptr<Job>& job, size_t index, SmppBind* bind) {
  // The bind gets a copy: the job keeps the original for a retry.
  ++job->at_bind;
  bind->Enqueue(job->parts[index].sm, std::shared_ptr<JobClearance>(job, &job->clearance),
                [this, job, index](PartResult r) { OnPartDone(job, index, std::move(r)); });
}

void SmppCarrier::ReopenIfOffTheWire(Job& job) {
  if (job.clearance.state != JobClearance::State::kPassed || job.at_bind != 0) return;
  for (const Job::Part& p : job.parts) {
    if (p.accepted) return;
  }
  job.clearance.state = JobClearance::State::kOpen;
}

void SmppCarrier::OnPartDone(const std::shared_ptr<Job>& job, size_t index, PartResult r) {
  Job::Part& p = job->parts[index];
  --job->at_bind;
  if (p.finished) return;  // cannot happen: each enqueue completes once
  bool retry = false;
  if (r.kind == PartResult::Kind::kThrottled) {
    retry = ++p.throttled < options_.max_throttled_attempts;
  } else if (r.kind == PartResult::Kind::kTemporary) {
    retry = ++p.temporary < options_.max_temporary_attempts;
  }
  // A part of a job another part of which the SMSC refused for good is not sent again: the
  // job can only end refused, and a re-sent part would reach the handset as an orphan fragment
  // (and be charged).
  if (retry && SiblingRefused(*job)) retry = false;
  // Nor is a part of a job the gate refused: nothing of it went, nothing of it will.
  if (job->clearance.state == JobClearance::State::kWithheld) retry = false;
  if (retry && !closing_ && r.kind == PartResult::Kind::kTemporary) {
    // A temporary failure waits out a jittered, growing delay first (the SMSC or the link is
    // in trouble; coming straight back makes it worse). Other jobs are not held up.
    p.last = std::move(r);
    ScheduleRetry(job, index);
    return;
  }
  if (retry && !closing_) {
    // Throttled parts go back to a bind (the least loaded, likely the same one, which has
    // already slowed down); the bind's pace decides when it is sent again.
    if (SmppBind* bind = PickBind(1)) {
      ++own_.part_retries;
      ReopenIfOffTheWire(*job);
      SendPart(job, index, bind);
      return;
    }
  }
  FinishPart(job, index, std::move(r));
}

bool SmppCarrier::SiblingRefused(const Job& job) {
  for (const Job::Part& q : job.parts) {
    if (q.finished && !q.accepted && q.last.kind == PartResult::Kind::kPermanent) return true;
  }
  return false;
}

void SmppCarrier::FinishPart(const std::shared_ptr<Job>& job, size_t index, PartResult r) {
  Job::Part& p = job->parts[index];
  p.finished = true;
  p.accepted = r.kind == PartResult::Kind::kAccepted;
  if (p.accepted) {
    p.message_id = r.message_id;
    p.match_key = MatchKey(p.message_id, true);
  }
  p.last = std::move(r);
  if (--job->unfinished == 0) Finish(job);
}

void SmppCarrier::ScheduleRetry(const std::shared_ptr<Job>& job, size_t index) {
  const int64_t delay = JitteredBackoffMs(job->parts[index].temporary, options_.retry_initial_ms,
                                          options_.retry_max_ms, rng_);
  retries_.emplace(uv_now(loop_) + static_cast<uint64_t>(delay), Retry{job, index});
  ArmRetryTimer();
}

void SmppCarrier::ArmRetryTimer() {
  if (retries_.empty() || uv_is_closing(AsHandle(&retry_timer_))) return;
  const uint64_t now = uv_now(loop_);
  const uint64_t due = retries_.begin()->first;
  uv_timer_start(
      &retry_timer_, [](uv_timer_t* t) { static_cast<SmppCarrier*>(t->data)->OnRetryTimer(); },
      due > now ? due - now : 0, 0);
}

void SmppCarrier::OnRetryTimer() {
  const uint64_t now = uv_now(loop_);
  while (!retries_.empty() && retries_.begin()->first <= now) {
    Retry r = std::move(retries_.begin()->second);
    retries_.erase(retries_.begin());
    // All binds down (or the job can no longer go): the part fails as it last did; the
    // dispatcher has its own retry path, and Finish() reports a withheld job as such.
    const bool withheld = r.job->clearance.state == JobClearance::State::kWithheld;
    SmppBind* bind = closing_ || withheld || SiblingRefused(*r.job) ? nullptr : PickBind(1);
    if (bind == nullptr) {
      FinishPart(r.job, r.index, r.job->parts[r.index].last);
      continue;
    }
    ++own_.part_retries;
    ++own_.temporary_retries;
    ReopenIfOffTheWire(*r.job);
    SendPart(r.job, r.index, bind);
  }
  ArmRetryTimer();
}

void SmppCarrier::Finish(const std::shared_ptr<Job>& job) {
  SubmitResult out;
  out.segments = job->segments;
  size_t accepted = 0;
  const Job::Part* permanent = nullptr;
  const Job::Part* failed = nullptr;
  for (const Job::Part& p : job->parts) {
    if (p.accepted) {
      ++accepted;
      continue;
    }
    if (failed == nullptr) failed = &p;
    if (permanent == nullptr && p.last.kind == PartResult::Kind::kPermanent) permanent = &p;
  }
  if (accepted == job->parts.size()) {
    ++own_.accepted;
    out.kind = SubmitResult::Kind::kAccepted;
    for (Job::Part& p : job->parts) {
      out.part_ids.push_back(std::move(p.message_id));
      out.match_keys.push_back(std::move(p.match_key));
    }
    out.message_id = out.part_ids.front();
  } else if (accepted == 0 && job->clearance.state == JobClearance::State::kWithheld) {
    // Nothing of the job reached the SMSC: the dispatcher gives it the gate's outcome.
    ++own_.withheld;
    out.kind = SubmitResult::Kind::kWithheld;
    out.withheld = job->clearance.verdict.reason;
    out.retry_at_ms = job->clearance.verdict.retry_at_ms;
    out.detail = job->clearance.verdict.detail;
  } else if (accepted > 0) {
    // Some parts are on their way: sending the job again would duplicate them, so this is
    // final. The outcome says which part failed and how.
    ++own_.partially_sent;
    ++own_.permanent_failures;
    const Job::Part& f = permanent ? *permanent : *failed;
    out.kind = SubmitResult::Kind::kPermanentFailure;
    out.carrier_status = f.last.status;
    out.detail = "partially sent: " + std::to_string(accepted) + " of " +
                 std::to_string(job->parts.size()) + " parts accepted; " + f.last.detail;
  } else if (permanent != nullptr) {
    ++own_.permanent_failures;
    out.kind = SubmitResult::Kind::kPermanentFailure;
    out.carrier_status = permanent->last.status;
    out.detail = permanent->last.detail;
  } else {
    ++own_.temporary_failures;
    out.kind = SubmitResult::Kind::kTemporaryFailure;
    out.carrier_status = failed->last.status;
    out.detail = failed->last.detail;
  }
  job->done(std::move(out));
}

std::string SmppCarrier::MatchKey(std::string_view id, bool submitted) {
  auto key = submitted ? options_.ids.ForSubmit(id) : options_.ids.ForReceipt(id);
  if (!key) {
    // Empty or over-long: nothing canonical to match by; the raw id still correlates if the
    // other side sends exactly the same bytes.
    ++own_.odd_message_ids;
    return std::string(id);
  }
  if (key->fell_back) ++own_.odd_message_ids;
  return std::move(key->key);
}

void SmppCarrier::Defer(std::function<void()> fn) {
  if (!next_turn_.Post(std::move(fn))) {
    spdlog::critical("carrier {}: used after Close(); a completion is dropped", options_.name);
  }
}

void SmppCarrier::Close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  closed_ = std::move(done);
  uv_timer_stop(&retry_timer_);
  // Parts waiting out a backoff will not be sent: they fail as they last did (temporary),
  // deferred so that no completion runs inside Close().
  auto waiting = std::move(retries_);
  retries_.clear();
  for (auto& [due, r] : waiting) {
    Defer([this, r = std::move(r)] { FinishPart(r.job, r.index, r.job->parts[r.index].last); });
  }
  for (auto& b : binds_) b->Close([this] { OnBindClosed(); });
}

void SmppCarrier::OnBindClosed() {
  if (--open_binds_ != 0) return;
  // Completions queued by Submit() calls that failed fast run before the close.
  next_turn_.Drain();
  loop::CloseAll({next_turn_.handle(), AsHandle(&retry_timer_)}, [this] {
    if (!closed_) return;
    auto cb = std::move(closed_);
    closed_ = nullptr;
    cb();  // may destroy the carrier
  });
}

}  // namespace sd::smpp
