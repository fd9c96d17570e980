#include "adapters/http/http_carrier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

namespace sd::http {

struct HttpCarrier::Job {
  SubmitRequest req;
  std::function<void(SubmitResult)> done;
  int throttled_attempts = 0;
  int temporary_attempts = 0;
  int requests = 0;
  // An earlier request may have reached the provider (its answer was lost): the job is not
  // asked through the gate again, and its resends carry the same idempotency key.
  bool maybe_sent = false;
  SubmitVerdict last;  // the last answer, for the outcome if the job gives up
};

namespace {

int64_t NowNs() { return static_cast<int64_t>(uv_hrtime()); }
int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

HttpCarrier::HttpCarrier(uv_loop_t* loop, HttpCarrierOptions options)
    : loop_(loop),
      options_(std::move(options)),
      client_(loop, options_.client),
      rate_(options_.rate),
      rng_(std::random_device{}()),
      next_turn_(loop) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
}

HttpCarrier::~HttpCarrier() = default;

bool HttpCarrier::Ready() const { return !closing_ && held_.size() < options_.window; }

HttpCarrierCounters HttpCarrier::counters() const {
  HttpCarrierCounters c = counters_;
  c.connections = client_.connections_opened();
  return c;
}

void HttpCarrier::Submit(SubmitRequest req, std::function<void(SubmitResult)> done) {
  ++counters_.submits;
  if (!Ready()) {
    ++counters_.temporary_failures;
    SubmitResult r;
    r.kind = SubmitResult::Kind::kTemporaryFailure;
    r.detail = closing_ ? "shutting down" : "window full";
    r.segments = req.text.segments;
    // Never call `done` from inside Submit (STYLE habit 1): the caller may hold state.
    Defer([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
    return;
  }
  auto job = std::make_shared<Job>();
  job->req = std::move(req);
  job->done = std::move(done);
  held_.emplace(job.get(), job);
  ready_.push_back(std::move(job));
  Pump();
}

void HttpCarrier::Pump() {
  if (closing_) return;
  const uint64_t now = uv_now(loop_);
  rate_.OnTick(NowNs());
  // Jobs whose backoff has passed join the ready queue, in due order.
  while (!waiting_.empty() && waiting_.begin()->first <= now) {
    ready_.push_back(std::move(waiting_.begin()->second));
    waiting_.erase(waiting_.begin());
  }
  while (!ready_.empty()) {
    if (now < paused_until_ms_) break;            // Retry-After holds the whole carrier
    if (rate_.NextSendNs() > NowNs()) break;      // the pace
    JobPtr job = std::move(ready_.front());
    ready_.pop_front();
    if (!job->maybe_sent && gate_ != nullptr) {
      const GateVerdict v = gate_->Check(job->req.Gate());
      if (!v.send()) {
        ++counters_.withheld;
        SubmitResult r;
        r.kind = SubmitResult::Kind::kWithheld;
        r.withheld = v.reason;
        r.retry_at_ms = v.retry_at_ms;
        r.detail = v.detail;
        r.segments = job->req.text.segments;
        // Deferred: Pump runs inside Submit, which must not complete a job (STYLE habit 1).
        Defer([this, job, r = std::move(r)]() mutable { Complete(job, std::move(r)); });
        continue;
      }
    }
    SendNow(job);
  }
  ArmTimer();
}

void HttpCarrier::SendNow(const JobPtr& job) {
  HttpRequest request = Build(options_.request, ValuesOf(job->req), WallMs() / 1000);
  ++counters_.requests;
  if (job->requests++ > 0) ++counters_.retries;
  rate_.OnSent(NowNs());
  const bool sent = client_.Send(std::move(request), [this, job](HttpResponse response) {
    OnAnswer(job, std::move(response));
  });
  if (!sent) {  // the client refused to set the request up: nothing left
    HttpResponse r;
    r.error = TransportError::kConnect;
    r.error_text = "request could not be set up";
    Defer([this, job, r = std::move(r)]() mutable { OnAnswer(job, std::move(r)); });
  }
}

void HttpCarrier::OnAnswer(const JobPtr& job, HttpResponse response) {
  if (closing_) return;
  const int64_t now_ns = NowNs();
  SubmitVerdict v = ClassifySubmitResponse(response, options_.response, WallMs());
  job->last = v;
  switch (v.kind) {
    case SubmitClass::kAccepted: {
      rate_.OnAccepted(now_ns);
      ++counters_.accepted;
      SubmitResult r;
      r.kind = SubmitResult::Kind::kAccepted;
      r.message_id = v.message_id;
      r.part_ids = {v.message_id};
      r.carrier_status = v.http_status;
      r.segments = job->req.text.segments;
      Complete(job, std::move(r));
      break;
    }
    case SubmitClass::kThrottled:
      ++counters_.throttled;
      rate_.OnThrottled(now_ns);
      if (v.retry_after_ms) {
        ++counters_.retry_after_waits;
        paused_until_ms_ =
            std::max(paused_until_ms_, uv_now(loop_) + static_cast<uint64_t>(*v.retry_after_ms));
      }
      if (++job->throttled_attempts >= options_.max_throttled_attempts) {
        Fail(job, SubmitResult::Kind::kTemporaryFailure, v.http_status,
             "throttled " + std::to_string(job->throttled_attempts) + " times; " + v.detail);
      } else {
        Retry(job, 0);  // after the pause and the pace, at the front of the carrier's queue
      }
      break;
    case SubmitClass::kTemporary: {
      ++counters_.temporary;
      if (response.error != TransportError::kNone) ++counters_.transport_errors;
      if (response.error == TransportError::kNone) rate_.OnAccepted(now_ns);  // no pace signal
      job->maybe_sent = job->maybe_sent || v.maybe_sent;
      if (++job->temporary_attempts >= options_.max_temporary_attempts) {
        Fail(job, SubmitResult::Kind::kTemporaryFailure, v.http_status, v.detail);
        break;
      }
      uint64_t delay = static_cast<uint64_t>(JitteredBackoffMs(
          job->temporary_attempts, options_.retry_initial_ms, options_.retry_max_ms, rng_));
      if (v.retry_after_ms) {
        ++counters_.retry_after_waits;
        delay = std::max(delay, static_cast<uint64_t>(*v.retry_after_ms));
      }
      Retry(job, delay);
      break;
    }
    case SubmitClass::kPermanent:
      rate_.OnAccepted(now_ns);
      Fail(job, SubmitResult::Kind::kPermanentFailure, v.http_status, v.detail);
      break;
  }
  Pump();
}

void HttpCarrier::Retry(const JobPtr& job, uint64_t delay_ms) {
  if (delay_ms == 0) {
    ready_.push_front(job);
  } else {
    waiting_.emplace(uv_now(loop_) + delay_ms, job);
  }
}

void HttpCarrier::Fail(const JobPtr& job, SubmitResult::Kind kind, uint32_t http_status,
                       std::string detail) {
  ++(kind == SubmitResult::Kind::kTemporaryFailure ? counters_.temporary_failures
                                                   : counters_.permanent_failures);
  SubmitResult r;
  r.kind = kind;
  r.carrier_status = http_status;
  r.detail = std::move(detail);
  r.segments = job->req.text.segments;
  Complete(job, std::move(r));
}

void HttpCarrier::Complete(const JobPtr& job, SubmitResult result) {
  held_.erase(job.get());
  auto done = std::move(job->done);
  done(std::move(result));
  if (Ready() && ready_handler_) ready_handler_();
}

void HttpCarrier::ArmTimer() {
  uint64_t due = UINT64_MAX;
  if (!waiting_.empty()) due = waiting_.begin()->first;
  if (!ready_.empty()) {
    const int64_t pace_ns = rate_.NextSendNs() - NowNs();
    const uint64_t pace_due =
        uv_now(loop_) + (pace_ns > 0 ? static_cast<uint64_t>((pace_ns + 999'999) / 1'000'000) : 0);
    due = std::min(due, std::max(pace_due, paused_until_ms_));
  }
  if (due == UINT64_MAX) {
    uv_timer_stop(&timer_);
    return;
  }
  const uint64_t now = uv_now(loop_);
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<HttpCarrier*>(t->data)->Pump(); },
      due > now ? due - now : 1, 0);
}

void HttpCarrier::Defer(std::function<void()> fn) {
  if (!next_turn_.Post(std::move(fn))) {
    spdlog::critical("carrier {}: used after Close(); a completion is dropped", options_.name);
  }
}

void HttpCarrier::Close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  uv_timer_stop(&timer_);
  ready_.clear();
  waiting_.clear();
  // Every held job fails as temporary: queued and waiting ones were not (re)sent; in-flight
  // ones may have reached the provider, and come back on restart with their idempotency key.
  // Deferred, so that no completion runs inside Close().
  std::vector<JobPtr> held;
  for (auto& [raw, job] : held_) held.push_back(job);
  for (JobPtr& job : held) {
    Defer([this, job = std::move(job)] {
      Fail(job, SubmitResult::Kind::kTemporaryFailure, 0, "shutting down");
    });
  }
  client_.Close([this, done = std::move(done)]() mutable {
    next_turn_.Drain();  // the completions above, and any failed-fast Submit
    loop::CloseAll({next_turn_.handle(), loop::AsHandle(&timer_)}, std::move(done));
  });
}

}  // namespace sd::http
