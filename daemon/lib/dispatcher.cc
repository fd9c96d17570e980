#include "daemon/lib/dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <utility>

#include "adapters/untrusted_log.h"
#include "core/audit.h"
#include "core/backoff.h"
#include "daemon/lib/dispatch_log.h"

namespace sd {
namespace {

// The milliseconds of a stream entry id ("<ms>-<seq>"); 0 when it has none.
int64_t EntryMs(std::string_view entry_id) {
  int64_t ms = 0;
  const auto [end, ec] = std::from_chars(entry_id.data(), entry_id.data() + entry_id.size(), ms);
  return ec == std::errc() && end != entry_id.data() ? ms : 0;
}

}  // namespace

// Every receipt state has its counter.
static_assert(static_cast<size_t>(ReceiptState::kEnroute) < Dispatcher::kReceiptStates);

// Every reason has its counter.
static_assert(static_cast<size_t>(Reason::kQuietHours) <
              std::size(DispatcherStats{}.rejected_by_reason));

Dispatcher::Dispatcher(JobStore& store, std::vector<DispatchCarrier> carriers,
                       const MacAlgorithm& mac, const Clock& clock, DispatcherOptions options)
    : store_(store),
      carriers_(std::move(carriers)),
      mac_(mac),
      clock_(clock),
      options_(std::move(options)),
      ready_(carriers_.size()),
      unsettled_(carriers_.size()),
      at_carrier_by_(carriers_.size()),
      modes_(carriers_.size(), CarrierMode::kActive),
      receipts_by_state_(carriers_.size()) {
  PolicyParts parts;
  parts.decision = options_.decision;
  parts.mac = &mac_;
  policy_.Store(PolicySnapshot::Make(std::move(parts)));
}

Dispatcher::Dispatcher(JobStore& store, Carrier& carrier, const MacAlgorithm& mac,
                       const Clock& clock, DispatcherOptions options)
    : Dispatcher(store, std::vector<DispatchCarrier>{DispatchCarrier{&carrier, nullptr}}, mac,
                 clock, std::move(options)) {}

void Dispatcher::SetKeys(std::shared_ptr<const KeyRing> keys) {
  policy_.Update([&keys](const PolicySnapshot& cur) {
    PolicyParts next = cur.parts();
    next.file_keys = keys;
    return next;
  });
}

void Dispatcher::Start() {
  store_.SetBatchHandler([this](std::vector<StreamEntry> entries) { OnBatch(std::move(entries)); });
  started_ = true;
  for (size_t index = 0; index < carriers_.size(); ++index) Wire(index);
  store_.GrantCredit(options_.max_inflight);
}

bool Dispatcher::Up(size_t carrier) const {
  return modes_[carrier] == CarrierMode::kActive && CarrierUp(carrier);
}

bool Dispatcher::CarrierUp(size_t carrier) const {
  const DispatchCarrier& c = carriers_[carrier];
  return !c.up || c.up();
}

Dispatcher::CarrierIndexMap Dispatcher::OurCarrierIndices(const Router* router) const {
  CarrierIndexMap ours;
  ours.fill(-1);
  if (router == nullptr) return ours;
  for (size_t i = 0; i < router->carriers().size() && i < kMaxCarriers; ++i) {
    for (size_t c = 0; c < carriers_.size(); ++c) {
      if (carriers_[c].carrier->name() == router->carriers()[i]) ours[i] = static_cast<int>(c);
    }
  }
  return ours;
}

bool Dispatcher::ToOurCarriers(bool routed, const CarrierIndexMap& ours, RouteChoice* route) {
  if (!routed || route->count == 0) {
    route->carriers[0] = 0;  // no routes: the one carrier
    route->count = 1;
    return true;
  }
  bool known = true;
  for (uint8_t i = 0; i < route->count; ++i) {
    const int c = ours[route->carriers[i]];
    known = known && c >= 0;
    route->carriers[i] = static_cast<uint8_t>(c < 0 ? 0 : c);
  }
  return known;
}

void Dispatcher::OnBatch(std::vector<StreamEntry> entries) {
  if (!entries.empty()) {
    spdlog::debug("batch: {} entries, {} .. {}", entries.size(),
                  Untrusted(entries.front().entry_id), Untrusted(entries.back().entry_id));
  }
  // One snapshot for the whole batch: a reload in the middle applies to the next batch. The
  // one exception is a pumping block this batch raises (ObservePumping): `policy` then moves
  // to the snapshot with the block, so the batch's later entries are refused at once.
  // A copy of the reader's pointer: a reload later in this turn cannot free it under us.
  std::shared_ptr<const PolicySnapshot> policy = policy_reader_.Current();
  // The router names carriers by its own indices; translate them to ours once per batch (they
  // are the same list in the daemon: both come from the start-up [[carrier]]s).
  const Router* router = policy->parts().router.get();
  const CarrierIndexMap ours = OurCarrierIndices(router);
  std::vector<Pending> admitted;
  std::vector<ClaimRequest> claims;
  admitted.reserve(entries.size());  // a Pending is large: no moves as the vector grows
  claims.reserve(entries.size());
  for (StreamEntry& entry : entries) {
    ++inflight_;
    ++stats_.entries;
    const auto decide_start = std::chrono::steady_clock::now();
    Decision d = Decide(entry, *policy, mac_, clock_, carriers_.front().carrier->name());
    timings_.decision.Observe(std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::steady_clock::now() - decide_start)
                                  .count());
    if (d.awaiting_lease && HoldForLease(entry, d)) continue;
    ObservePumping(policy, entry, d);
    if (!d.flagged.empty()) AuditFlagged(entry, d);
    if (d.deferred) {
      const Error& e = d.result.error();
      if (defer_ != nullptr) {
        // A scheduled send is the producer's wish, not a security decision: counted only.
        ++(d.scheduled ? stats_.scheduled : stats_.deferred);
        if (e.reason == Reason::kQuietHours) ++stats_.quiet_deferred;
        if (!d.scheduled) Audit(e.reason, kAuditDeferred, entry, d, e.detail);
        // Not claimed: the entry comes back as a new entry when due, and claims then.
        defer_->Defer(std::move(entry), d.job_id, d.retry_at_ms, [this] { Finished(); });
        continue;
      }
      ++stats_.defer_unavailable;
      if (d.scheduled) d.result = Error{Reason::kUnavailable, "scheduled, and no delay queue"};
    }
    if (!d.result.ok()) {
      const Error& e = d.result.error();
      if (IsAuditedReason(e.reason)) Audit(e.reason, kAuditRejected, entry, d, e.detail);
      Reject(entry.entry_id, d.job_id, entry.key_id, d.client_ref, e.reason, e.detail);
      continue;
    }
    ++stats_.admitted;
    Pending p{std::move(d.result).value(), entry.entry_id, entry.key_id};
    if (!ToOurCarriers(router != nullptr, ours, &p.admitted.route)) {
      // A router built for other carriers: a wiring bug, never a lost job.
      Reject(entry.entry_id, d.job_id, entry.key_id, d.client_ref, Reason::kNoRoute,
             "the route names a carrier this daemon does not have");
      continue;
    }
    if (p.admitted.test_mode && !ToTestCarrier(&p.admitted.route)) {
      Reject(entry.entry_id, d.job_id, entry.key_id, d.client_ref, Reason::kNoRoute,
             "a test key's job and no test carrier");
      continue;
    }
    const int64_t ttl = std::max<int64_t>(p.admitted.job.expires_ms - clock_.NowMs(), 0) +
                        options_.idempotency_grace_ms;
    claims.push_back(ClaimRequest{entry.entry_id, p.admitted.job.id, ttl});
    p.source = std::move(entry);
    admitted.push_back(std::move(p));
  }
  KickLeases(*policy);
  if (claims.empty()) return;
  spdlog::debug("claim: {} of {} entries admitted", claims.size(), entries.size());
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
    spdlog::debug("claim: entry {} job '{}': {}", Untrusted(p.entry_id),
                  Untrusted(p.admitted.job.id), ClaimStateWord(state));
    switch (state) {
      case ClaimState::kReplay:
        Reject(p.entry_id, p.admitted.job.id, p.key_id, p.admitted.job.client_ref, Reason::kReplay,
               "job id already used by another entry");
        continue;
      case ClaimState::kWrongShard:
        Reject(p.entry_id, p.admitted.job.id, p.key_id, p.admitted.job.client_ref,
               Reason::kWrongShard, "the job id belongs to another shard's stream");
        continue;
      case ClaimState::kAlreadyDone: {
        // The outcome is durable but the ack was lost: Commit's once-per-entry guard makes
        // this write only the XACK.
        ++stats_.already_done;
        Outcome o;
        o.entry_id = p.entry_id;
        o.job_id = p.admitted.job.id;
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
        Enqueue(std::move(p), false);
        break;
    }
  }
  Pump();
}

void Dispatcher::Enqueue(Pending p, bool front) {
  const RouteChoice& route = p.admitted.route;
  int pick = -1;
  for (uint8_t i = 0; i < route.count && pick < 0; ++i) {
    if ((p.tried & (1u << i)) == 0 && Up(route.carriers[i])) pick = i;
  }
  for (uint8_t i = 0; i < route.count && pick < 0; ++i) {
    if ((p.tried & (1u << i)) == 0) pick = i;
  }
  if (pick < 0) pick = 0;  // every one tried: callers reset `tried` first, so not reached
  if (p.pos != pick && p.tried != 0) ++stats_.failovers;
  p.pos = static_cast<uint8_t>(pick);
  std::deque<Pending>& q = ready_[route.carriers[p.pos]];
  if (front) {
    q.push_front(std::move(p));
  } else {
    q.push_back(std::move(p));
  }
}

namespace {

// Whether the job's key still stands: revoked or removed since the job was admitted, no.
GateVerdict KeyStands(const PolicyParts& parts, std::string_view key_id) {
  if (parts.registry_keys != nullptr) {
    if (const RegisteredKey* k = parts.registry_keys->Find(key_id)) {
      if (k->record.revoked) return {Reason::kRevokedKey, "key revoked after the job was admitted"};
      return {};  // a key past its not_after still sends what it signed while valid
    }
  }
  if (parts.file_keys != nullptr && parts.file_keys->Find(key_id) != nullptr) return {};
  return {Reason::kRevokedKey, "key removed after the job was admitted"};
}

// A job admitted in the evening and still queued behind its carrier's pace when the
// recipient's night begins: the morning, unless it expires first.
GateVerdict QuietNow(const PolicyParts& parts, const GateQuery& job, int64_t now) {
  if (parts.quiet == nullptr) return {};
  const QuietVerdict q = parts.quiet->Check(job.kind, job.zones, now);
  if (q.rule == nullptr) return {};
  const int64_t at = q.opens_ms > 0 && q.opens_ms < job.expires_ms ? q.opens_ms : 0;
  return {Reason::kQuietHours,
          at > 0 ? "quiet hours began in the recipient's time zone while the job waited"
                 : "quiet hours began in the recipient's time zone and outlast the job",
          at};
}

}  // namespace

GateVerdict Dispatcher::Sendable(const PolicySnapshot& policy, const GateQuery& job, int64_t now) {
  if (job.expires_ms <= now) return {Reason::kExpired, "expired before it could be submitted"};
  const PolicyParts& parts = policy.parts();
  if (parts.blocks != nullptr &&
      parts.blocks->Find(KeyFamily(job.key_id), job.destination, now) != nullptr) {
    return {Reason::kPumpingSuspected, "destination prefix blocked after the job was admitted"};
  }
  if (CheckOptOut(parts, job.sender, job.kind, job.destination)) {
    return {Reason::kOptedOut, "the recipient opted out after the job was admitted"};
  }
  // The key before quiet hours: a revoked key's job is refused now, not held for the morning.
  if (GateVerdict k = KeyStands(parts, job.key_id); !k.send()) return k;
  return QuietNow(parts, job, now);
}

GateVerdict Dispatcher::Check(const GateQuery& job) {
  // The reader's cached snapshot: one acquire load while nothing was swapped, so this costs
  // a clock read and one key lookup per job.
  const PolicySnapshot& policy = *policy_reader_.Current();
  // Only live carriers ask (the test carrier puts nothing on a wire): a test key's job here
  // would be a wiring bug, and it is stopped at the last moment.
  if (const KeyRegistrySnapshot* keys = policy.parts().registry_keys.get()) {
    if (const RegisteredKey* k = keys->Find(job.key_id); k != nullptr && k->record.test_mode) {
      return {Reason::kNoRoute, "a test key's job never goes to a live carrier"};
    }
  }
  return Sendable(policy, job, clock_.NowMs());
}

bool Dispatcher::ToTestCarrier(RouteChoice* route) {
  if (options_.test_carrier < 0) return false;
  ++stats_.test_jobs;
  route->carriers[0] = static_cast<uint8_t>(options_.test_carrier);
  route->count = 1;
  return true;
}

void Dispatcher::Withhold(Pending& p, Reason reason, std::string detail, int64_t retry_at_ms) {
  if (reason == Reason::kRevokedKey) ++stats_.revoked_before_submit;
  if (reason == Reason::kQuietHours && retry_at_ms > 0 && defer_ != nullptr) {
    // Nothing of it was sent: it waits for the morning like a job read at night. Defer also
    // releases its job id's claim, so the entry that comes back claims it again.
    ++stats_.deferred;
    ++stats_.quiet_deferred;
    ++stats_.quiet_deferred_at_submit;
    detail += " until " + std::to_string(retry_at_ms) + " (Unix ms)";
    AuditPending(p, reason, kAuditDeferred, detail);
    defer_->Defer(std::move(p.source), p.admitted.job.id, retry_at_ms, [this] { Finished(); });
    return;
  }
  if (reason == Reason::kRevokedKey || reason == Reason::kPumpingSuspected ||
      reason == Reason::kOptedOut || reason == Reason::kQuietHours) {
    AuditPending(p, reason, kAuditRejected, detail);
  }
  Reject(p.entry_id, p.admitted.job.id, p.key_id, p.admitted.job.client_ref, reason,
         std::move(detail));
}

void Dispatcher::Pump() {
  // Loaded once per pump, and only when there is something to send: a lookup in the current
  // snapshot's key ring per job is the whole cost of the revocation check.
  std::shared_ptr<const PolicySnapshot> policy;
  for (size_t c = 0; c < carriers_.size(); ++c) {
    if (!Sends(c)) continue;  // paused, reopening or removed: its queue waits or moves
    std::deque<Pending>& q = ready_[c];
    Carrier& carrier = *carriers_[c].carrier;
    const size_t max_unsettled = carriers_[c].max_unsettled;
    while (!stopping_ && !q.empty() && carrier.Ready() &&
           (max_unsettled == 0 || unsettled_[c] < max_unsettled)) {
      Pending p = std::move(q.front());
      q.pop_front();
      if (policy == nullptr) policy = policy_reader_.Current();
      const Job& job = p.admitted.job;
      const GateVerdict v = Sendable(
          *policy,
          {p.key_id, job.destination, job.sender, job.kind, job.expires_ms, p.admitted.zones},
          clock_.NowMs());
      if (!v.send()) {
        Withhold(p, v.reason, v.detail, v.retry_at_ms);
        continue;
      }
      SubmitRequest req;
      req.destination = p.admitted.job.destination;
      req.sender = p.admitted.job.sender;
      req.text = p.admitted.text;
      req.text_utf8 = p.admitted.job.text;
      req.expires_ms = p.admitted.job.expires_ms;
      req.key_id = p.key_id;
      req.job_id = p.admitted.job.id;
      req.client_ref = p.admitted.job.client_ref;
      req.kind = p.admitted.job.kind;
      req.zones = p.admitted.zones;
      spdlog::debug("submit: entry {} job '{}' to carrier {}, {} segments", Untrusted(p.entry_id),
                    Untrusted(p.admitted.job.id), carrier.name(), p.admitted.text.segments);
      ++at_carrier_;
      ++at_carrier_by_[c];
      ++unsettled_[c];
      ++stats_.carrier_attempts;
      // The callback carries the job's slot and its carrier in 16 bytes, which std::function
      // keeps inline: no allocation per job, and the job is moved once each way.
      const uint64_t key = (uint64_t{c} << 32) | ParkAtCarrier(std::move(p));
      carrier.Submit(std::move(req), [this, key](SubmitResult r) {
        const size_t carrier_index = static_cast<size_t>(key >> 32);
        --at_carrier_;
        --at_carrier_by_[carrier_index];
        OnSubmitted(carrier_index, Unpark(static_cast<uint32_t>(key)), std::move(r));
      });
    }
  }
}

void Dispatcher::OnSubmitted(size_t carrier, Pending p, SubmitResult r) {
  // A temporary failure or a job withheld at the wire settles now: the carrier sent none of it
  // (a job with parts accepted ends as a permanent failure). Accepted and refused jobs settle
  // once their outcome is durable: until then a restart would send them again.
  if (r.kind == SubmitResult::Kind::kTemporaryFailure || r.kind == SubmitResult::Kind::kWithheld) {
    --unsettled_[carrier];
  }
  spdlog::debug("submit response: entry {} carrier {}: {}, message id '{}', status {}, detail '{}'",
                Untrusted(p.entry_id), carriers_[carrier].carrier->name(), SubmitKindWord(r.kind),
                Untrusted(r.message_id), r.carrier_status, Untrusted(r.detail));
  switch (r.kind) {
    case SubmitResult::Kind::kAccepted: {
      Outcome o;
      o.entry_id = p.entry_id;
      o.job_id = p.admitted.job.id;
      o.key_id = p.key_id;
      o.client_ref = p.admitted.job.client_ref;
      o.status = OutcomeStatus::kSubmitted;
      o.carrier = carriers_[carrier].carrier->name();  // the one that took it
      o.message_id = std::move(r.message_id);
      o.match_keys = std::move(r.match_keys);
      o.segments = r.segments > 0 ? r.segments : p.admitted.text.segments;
      receipt_clock_.Submitted(
          o.carrier, o.match_keys.empty() ? o.message_id : o.match_keys.front(), clock_.NowMs());
      ++stats_.submitted;
      if (const int64_t written = EntryMs(p.entry_id); written > 0) {
        timings_.enqueue_to_submit.Observe((clock_.NowMs() - written) * 1000);
      }
      CountSubmitted(p);
      CommitOutcome(std::move(o), static_cast<int>(carrier));
      break;
    }
    case SubmitResult::Kind::kWithheld:
      // The carrier's gate (this dispatcher) refused it just before the wire: nothing was
      // sent, and no other carrier may send it either.
      ++stats_.withheld_at_carrier;
      Withhold(p, r.withheld, std::move(r.detail), r.retry_at_ms);
      break;
    case SubmitResult::Kind::kPermanentFailure:
      // Not failed over: the carrier judged the message itself; another would resend it.
      Reject(p.entry_id, p.admitted.job.id, p.key_id, p.admitted.job.client_ref,
             Reason::kCarrierRejected,
             r.detail.empty() ? "carrier status " + std::to_string(r.carrier_status) : r.detail,
             static_cast<int>(carrier));
      break;
    case SubmitResult::Kind::kTemporaryFailure: {
      ++stats_.temporary_failures;
      if (stopping_) {
        Finished();  // stays pending in Redis
        break;
      }
      // The carrier has already retried on its own (max_temporary_attempts): try the next
      // carrier of the route that is up now, without waiting.
      p.tried = static_cast<uint8_t>(p.tried | (1u << p.pos));
      const RouteChoice& route = p.admitted.route;
      bool next = false;
      for (uint8_t i = 0; i < route.count && !next; ++i) {
        next = (p.tried & (1u << i)) == 0 && Up(route.carriers[i]);
      }
      if (next) {
        Enqueue(std::move(p), true);
        break;
      }
      // Every carrier of the route failed (or is down): back off, then start over.
      const int64_t now = clock_.NowMs();
      p.not_before_ms = now + JitteredBackoffMs(++p.rounds_failed, options_.retry_initial_ms,
                                                options_.retry_max_ms, rng_);
      if (p.not_before_ms >= p.admitted.job.expires_ms) {
        Reject(p.entry_id, p.admitted.job.id, p.key_id, p.admitted.job.client_ref,
               Reason::kCarrierUnavailable, "carrier unavailable until expiry: " + r.detail);
        break;
      }
      p.tried = 0;
      retry_.push_back(std::move(p));
      break;
    }
  }
  Pump();
}

void Dispatcher::Tick() {
  MoveOffDownCarriers();
  if (!retry_.empty()) {
    const int64_t now = clock_.NowMs();
    // Move due retries to the front of their carrier's queue, oldest first.
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
    for (auto it = due.rbegin(); it != due.rend(); ++it) Enqueue(std::move(*it), true);
  }
  Pump();
}

void Dispatcher::Reject(const std::string& entry_id, const std::string& job_id,
                        const std::string& key_id, const std::string& client_ref, Reason reason,
                        std::string detail, int settles) {
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
  CommitOutcome(std::move(o), settles);
}

void Dispatcher::Audit(Reason reason, std::string_view action, const StreamEntry& entry,
                       const Decision& d, std::string_view detail) {
  ++stats_.audit_events;
  if (audit_ == nullptr) return;
  audit_->Emit(MakeAuditEvent(reason, action, entry.entry_id, d.job_id, entry.key_id, d.destination,
                              detail, clock_.NowMs()));
}

void Dispatcher::AuditPending(const Pending& p, Reason reason, std::string_view action,
                              std::string_view detail) {
  ++stats_.audit_events;
  if (audit_ == nullptr) return;
  audit_->Emit(MakeAuditEvent(reason, action, p.entry_id, p.admitted.job.id, p.key_id,
                              p.admitted.job.destination, detail, clock_.NowMs()));
}

void Dispatcher::CountUsage(const Outcome& o) {
  // Registry keys only: any other key id is the producer's text and must not name counters.
  const auto& keys = policy_reader_.Current()->parts().registry_keys;
  if (keys == nullptr || o.key_id.empty() || keys->Find(o.key_id) == nullptr) return;
  std::string field = "outcome:" + std::string(OutcomeStatusWord(o.status));
  if (o.reason != Reason::kNone) field += ":" + std::string(ReasonName(o.reason));
  usage_.Count(o.key_id, o.ts_ms, field);
}

void Dispatcher::CountSubmitted(const Pending& p) {
  const PolicySnapshot& policy = *policy_reader_.Current();
  const auto& keys = policy.parts().registry_keys;
  if (keys == nullptr || keys->Find(p.key_id) == nullptr) return;
  const Job& job = p.admitted.job;
  const int64_t now = clock_.NowMs();
  usage_.Count(p.key_id, now, "kind:" + std::string(JobKindName(job.kind)));
  usage_.Count(p.key_id, now, "sender:" + job.sender);  // validated (docs/jobs.md §2)
  if (const NumberChecker* numbers = policy.parts().numbers.get()) {
    auto info = numbers->Check(job.destination, CountryScope{});  // cached: decided before
    if (info.ok() && info->region.size() == 2) usage_.Count(p.key_id, now, "country:" + info->region);
  }
}

void Dispatcher::CommitOutcome(Outcome outcome, int settles) {
  outcome.ts_ms = clock_.NowMs();
  CountUsage(outcome);
  spdlog::debug("commit: entry {} job '{}': {}{}{}", Untrusted(outcome.entry_id),
                Untrusted(outcome.job_id), OutcomeStatusWord(outcome.status),
                outcome.reason == Reason::kNone ? "" : " ", ReasonName(outcome.reason));
  store_.Commit(std::move(outcome), [this, settles] {
    Finished();
    if (settles >= 0) {
      --unsettled_[static_cast<size_t>(settles)];
      Pump();  // the carrier's place is free only now (DispatchCarrier::max_unsettled)
    }
  });
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
  for (std::deque<Pending>& q : ready_) {
    inflight_ -= q.size();
    q.clear();
  }
  inflight_ -= retry_.size();
  retry_.clear();
  inflight_ -= awaiting_lease_.size();
  awaiting_lease_.clear();
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
