#include "daemon/lib/dispatcher.h"

#include <algorithm>
#include <utility>

namespace sd {

Dispatcher::Dispatcher(JobStore& store, Carrier& carrier, const MacAlgorithm& mac,
                       const Clock& clock, DispatcherOptions options)
    : store_(store), carrier_(carrier), mac_(mac), clock_(clock), options_(std::move(options)) {
  keys_ = std::make_shared<KeyRing>();
}

void Dispatcher::Start() {
  store_.SetBatchHandler([this](std::vector<StreamEntry> entries) { OnBatch(std::move(entries)); });
  carrier_.SetReadyHandler([this] { Pump(); });
  carrier_.SetReceiptHandler([this](Receipt receipt, std::function<void()> ack) {
    // The carrier's acknowledgement (deliver_sm_resp) goes out only once the receipt is
    // durable: if we die first, the SMSC redelivers it.
    store_.PutReceipt(std::move(receipt), [this, ack = std::move(ack)] {
      ++stats_.receipts;
      ack();
    });
  });
  store_.GrantCredit(options_.max_inflight);
}

void Dispatcher::OnBatch(std::vector<StreamEntry> entries) {
  std::shared_ptr<const KeyRing> keys = keys_;  // one snapshot for the whole batch
  std::vector<Pending> admitted;
  std::vector<ClaimRequest> claims;
  for (StreamEntry& entry : entries) {
    ++inflight_;
    ++stats_.entries;
    Decision d = Decide(entry, *keys, mac_, clock_, options_.decision);
    if (!d.result.ok()) {
      Reject(entry.entry_id, d.job_id, entry.key_id, d.client_ref, d.result.error().reason,
             d.result.error().detail);
      continue;
    }
    ++stats_.admitted;
    Pending p{std::move(d.result).value(), entry.entry_id, entry.key_id};
    const int64_t ttl = std::max<int64_t>(p.job.job.expires_ms - clock_.NowMs(), 0) +
                        options_.idempotency_grace_ms;
    claims.push_back(ClaimRequest{entry.entry_id, p.job.job.id, ttl});
    admitted.push_back(std::move(p));
  }
  if (claims.empty()) return;
  // One pipelined round trip for the whole batch, not one per job.
  store_.Claim(std::move(claims),
               [this, jobs = std::move(admitted)](std::vector<ClaimState> states) mutable {
                 OnClaimed(std::move(jobs), std::move(states));
               });
}

void Dispatcher::OnClaimed(std::vector<Pending> jobs, std::vector<ClaimState> states) {
  for (size_t i = 0; i < jobs.size(); ++i) {
    Pending& p = jobs[i];
    const ClaimState state = i < states.size() ? states[i] : ClaimState::kResume;
    switch (state) {
      case ClaimState::kReplay:
        Reject(p.entry_id, p.job.job.id, p.key_id, p.job.job.client_ref, Reason::kReplay,
               "job id already used by another entry");
        continue;
      case ClaimState::kAlreadyDone: {
        // The outcome is durable but the ack was lost: Commit's once-per-entry guard makes
        // this write only the XACK.
        ++stats_.already_done;
        Outcome o;
        o.entry_id = p.entry_id;
        o.job_id = p.job.job.id;
        CommitOutcome(std::move(o));
        continue;
      }
      case ClaimState::kResume:
        ++stats_.resumed;
        [[fallthrough]];
      case ClaimState::kNew:
        if (stopping_) {
          Finished();  // left pending in Redis; redelivered after restart
          continue;
        }
        ready_.push_back(std::move(p));
        break;
    }
  }
  Pump();
}

void Dispatcher::Pump() {
  while (!stopping_ && !ready_.empty() && carrier_.Ready()) {
    Pending p = std::move(ready_.front());
    ready_.pop_front();
    if (p.job.job.expires_ms <= clock_.NowMs()) {
      Reject(p.entry_id, p.job.job.id, p.key_id, p.job.job.client_ref, Reason::kExpired,
             "expired before it could be submitted");
      continue;
    }
    SubmitRequest req;
    req.destination = p.job.job.destination;
    req.sender = p.job.job.sender;
    req.text = p.job.text;
    req.text_utf8 = p.job.job.text;
    ++at_carrier_;
    ++stats_.carrier_attempts;
    carrier_.Submit(std::move(req), [this, p = std::move(p)](SubmitResult r) mutable {
      --at_carrier_;
      OnSubmitted(std::move(p), std::move(r));
    });
  }
}

void Dispatcher::OnSubmitted(Pending p, SubmitResult r) {
  switch (r.kind) {
    case SubmitResult::Kind::kAccepted: {
      Outcome o;
      o.entry_id = p.entry_id;
      o.job_id = p.job.job.id;
      o.key_id = p.key_id;
      o.client_ref = p.job.job.client_ref;
      o.status = OutcomeStatus::kSubmitted;
      o.carrier = carrier_.name();
      o.message_id = std::move(r.message_id);
      o.match_keys = std::move(r.match_keys);
      o.segments = r.segments > 0 ? r.segments : p.job.text.segments;
      ++stats_.submitted;
      CommitOutcome(std::move(o));
      break;
    }
    case SubmitResult::Kind::kPermanentFailure:
      Reject(p.entry_id, p.job.job.id, p.key_id, p.job.job.client_ref, Reason::kCarrierRejected,
             r.detail.empty() ? "carrier status " + std::to_string(r.carrier_status) : r.detail);
      break;
    case SubmitResult::Kind::kTemporaryFailure: {
      ++stats_.temporary_failures;
      if (stopping_) {
        Finished();  // stays pending in Redis
        break;
      }
      const int64_t now = clock_.NowMs();
      p.backoff_ms = p.backoff_ms == 0 ? options_.retry_initial_ms
                                       : std::min(p.backoff_ms * 2, options_.retry_max_ms);
      p.not_before_ms = now + p.backoff_ms;
      if (p.not_before_ms >= p.job.job.expires_ms) {
        Reject(p.entry_id, p.job.job.id, p.key_id, p.job.job.client_ref,
               Reason::kCarrierUnavailable, "carrier unavailable until expiry: " + r.detail);
        break;
      }
      retry_.push_back(std::move(p));
      break;
    }
  }
  Pump();
}

void Dispatcher::Tick() {
  if (retry_.empty()) return;
  const int64_t now = clock_.NowMs();
  // Move due retries to the front of the ready queue, oldest first.
  std::deque<Pending> still_waiting;
  std::vector<Pending> due;
  for (Pending& p : retry_) {
    if (p.not_before_ms <= now) {
      due.push_back(std::move(p));
    } else {
      still_waiting.push_back(std::move(p));
    }
  }
  retry_.swap(still_waiting);
  for (auto it = due.rbegin(); it != due.rend(); ++it) ready_.push_front(std::move(*it));
  Pump();
}

void Dispatcher::Reject(const std::string& entry_id, const std::string& job_id,
                        const std::string& key_id, const std::string& client_ref, Reason reason,
                        std::string detail) {
  Outcome o;
  o.entry_id = entry_id;
  o.job_id = job_id;
  o.key_id = key_id;
  o.client_ref = client_ref;
  o.status = OutcomeStatus::kRejected;
  o.reason = reason;
  o.detail = std::move(detail);
  ++stats_.rejected;
  const size_t idx = static_cast<size_t>(reason);
  if (idx < std::size(stats_.rejected_by_reason)) ++stats_.rejected_by_reason[idx];
  CommitOutcome(std::move(o));
}

void Dispatcher::CommitOutcome(Outcome outcome) {
  outcome.ts_ms = clock_.NowMs();
  store_.Commit(std::move(outcome), [this] { Finished(); });
}

void Dispatcher::Finished() {
  --inflight_;
  if (stopping_) {
    MaybeStopped();
    return;
  }
  // Hand credit back in groups so reads stay batched rather than one entry at a time.
  ++credit_owed_;
  if (credit_owed_ >= std::max<size_t>(1, options_.max_inflight / 8) || inflight_ == 0) {
    store_.GrantCredit(credit_owed_);
    credit_owed_ = 0;
  }
}

void Dispatcher::Stop(std::function<void()> done) {
  stopping_ = true;
  stopped_ = std::move(done);
  store_.StopReading();
  // Not yet at the carrier: leave them pending in Redis, they are redelivered on restart.
  inflight_ -= ready_.size() + retry_.size();
  ready_.clear();
  retry_.clear();
  MaybeStopped();
}

void Dispatcher::MaybeStopped() {
  if (stopping_ && inflight_ == 0 && stopped_) {
    auto cb = std::move(stopped_);
    stopped_ = nullptr;
    cb();
  }
}

}  // namespace sd
