#pragma once
// The dispatcher moves each job-stream entry to exactly one outcome:
//   batch from JobStore -> Decide (core) -> Claim (idempotency) -> Carrier.Submit -> Commit.
// The decision routes each job to a list of carriers (core/router.h); the job goes to the
// first of them that is up, and on to the next when one cannot take it (failover). Just
// before a submit the job's key is checked again against the current policy and its expiry
// against the clock, and the dispatcher is every carrier's SubmitGate (core/submit_gate.h):
// the carrier asks the same again right before the job's first part goes on the wire, after
// its own window and pace waits. A key revoked (or an expiry passed) since admission sends
// nothing more.
// A job a rate limit defers is not claimed: it goes to the DeferQueue (which acknowledges the
// entry and puts the job back on the stream when due) and leaves the dispatcher. Security
// decisions (core/audit.h IsAuditedReason, deferrals, content flags) go to the AuditSink.
// It owns no sockets and no timers: the daemon calls Tick() from a timer, so it can be unit
// tested with fakes of the two ports and a manual clock.
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/decision.h"
#include "core/key_ring.h"
#include "core/latency_histogram.h"
#include "core/mac.h"
#include "core/policy_snapshot.h"
#include "core/ports.h"
#include "core/reason.h"
#include "core/receipt_clock.h"
#include "core/submit_gate.h"
#include "core/usage_tally.h"

namespace sd {

struct DispatcherOptions {
  // The decision settings of the initial policy snapshot (keys come with SetKeys/policy()).
  DecisionConfig decision;
  // Entries held between read and committed outcome, across all stages. This bounds memory
  // and the Redis read-ahead. (The duplicates after a kill -9, submitted jobs whose outcome
  // was not yet durable, are bounded per carrier by DispatchCarrier::max_unsettled.)
  size_t max_inflight = 1024;
  // Idempotency records outlive the job's validity by this much.
  int64_t idempotency_grace_ms = 3'600'000;
  // Temporary carrier failures are retried after this delay (doubling, capped) until expiry.
  int64_t retry_initial_ms = 200;
  int64_t retry_max_ms = 10'000;
  // The index (in the carriers given) of the built-in test carrier, where test keys' jobs go
  // and nothing else does; -1: none (test keys' jobs are then rejected no_route).
  int test_carrier = -1;
};

// One carrier the dispatcher submits to. `up` says whether it has a bind that can send at all
// (as opposed to a full window, which is only "not now"); a job queued for a carrier that is
// down moves on to the next carrier of its route. Null `up`: always up.
struct DispatchCarrier {
  Carrier* carrier = nullptr;
  std::function<bool()> up;
  // Jobs submitted to this carrier and not yet settled: answered with a temporary failure
  // (nothing taken), or with their outcome (accepted, refused) durable on Redis. After a
  // kill -9 exactly these are sent again (claim state resume), so this bounds the duplicates
  // per carrier. Set it to the carrier's window (window x binds): a job then holds its place
  // until its outcome is written, and outcomes waiting for Redis cannot add to the window.
  // 0: no bound of its own (max_inflight bounds it).
  size_t max_unsettled = 0;
};

// What the dispatcher does with one carrier (docs/operations.md, "Runtime control"). An
// operator sets the first three through Redis (core/carrier_control.h); a reload sets the
// last two while it replaces or removes a carrier.
enum class CarrierMode : uint8_t {
  kActive,     // routed to and sent to
  kPaused,     // not routed to, sent nothing; its waiting jobs fail over, or wait for it
  kDraining,   // not routed to; the jobs already waiting for it are still sent
  kReopening,  // as paused, until the daemon gives the slot its new carrier (ReplaceCarrier)
  kRemoved,    // as paused; a waiting job with no other carrier up is rejected
};
std::string_view CarrierModeName(CarrierMode m);

struct DispatcherStats {
  uint64_t entries = 0;    // entries received from the store
  uint64_t admitted = 0;   // passed the decision
  uint64_t rejected = 0;   // rejected outcomes committed (any reason)
  uint64_t submitted = 0;  // submitted outcomes committed
  uint64_t carrier_attempts = 0;
  uint64_t temporary_failures = 0;
  uint64_t resumed = 0;       // redelivered entries that were submitted again
  uint64_t already_done = 0;  // redelivered entries that only needed their ack
  uint64_t receipts = 0;      // receipts made durable and acked to the carrier
  uint64_t rejected_by_reason[kReasonCount] = {};
  uint64_t deferred = 0;               // handed to the DeferQueue (a rate limit said "not yet")
  uint64_t defer_unavailable = 0;      // deferrals rejected because no DeferQueue is set
  uint64_t scheduled = 0;              // jobs whose send_at was ahead, handed to the DeferQueue
  uint64_t quiet_deferred = 0;         // deferrals (also in `deferred`) for quiet hours
  // Of those, the jobs admitted before the recipient's night and still queued at its start.
  uint64_t quiet_deferred_at_submit = 0;
  uint64_t flagged = 0;                // admitted jobs with content rules of action "flag"
  uint64_t audit_events = 0;           // events emitted to the AuditSink
  uint64_t failovers = 0;              // jobs moved to the next carrier of their route
  uint64_t revoked_before_submit = 0;  // admitted, then refused at submit: key revoked/removed
  // Of all refusals at submit (key withdrawn or expired), those the carrier's gate made after
  // the job had waited in the carrier's own queue.
  uint64_t withheld_at_carrier = 0;
  uint64_t test_jobs = 0;            // admitted jobs of test keys (to the test carrier)
  // Times an entry was held in memory for a fleet-wide limit's lease, then decided again.
  uint64_t lease_waits = 0;
  // Every counter by name, in declaration order: the one list every reporter (log line,
  // the stats hash, `smsdispatch stats`) reads, so a new counter shows up everywhere.
  template <typename F>
  void ForEach(F&& f) const {
    f("entries", entries);
    f("admitted", admitted);
    f("rejected", rejected);
    f("submitted", submitted);
    f("carrier_attempts", carrier_attempts);
    f("temporary_failures", temporary_failures);
    f("resumed", resumed);
    f("already_done", already_done);
    f("receipts", receipts);
    f("deferred", deferred);
    f("defer_unavailable", defer_unavailable);
    f("scheduled", scheduled);
    f("quiet_deferred", quiet_deferred);
    f("quiet_deferred_at_submit", quiet_deferred_at_submit);
    f("flagged", flagged);
    f("audit_events", audit_events);
    f("failovers", failovers);
    f("revoked_before_submit", revoked_before_submit);
    f("withheld_at_carrier", withheld_at_carrier);
    f("test_jobs", test_jobs);
    f("lease_waits", lease_waits);
    // Every reason has its field, zero included, so a dashboard sees a fixed set.
    for (size_t i = 1; i < std::size(rejected_by_reason); ++i) {
      const std::string_view name = ReasonName(static_cast<Reason>(i));
      if (name.empty() || name == "unknown") continue;
      f("rejected." + std::string(name), rejected_by_reason[i]);
    }
  }
};

// Latencies for the metrics endpoint (docs/operations.md), observed on the loop thread.
struct DispatcherTimings {
  // Entry written to the jobs stream (its id's milliseconds) -> the carrier accepted the job.
  LatencyHistogram enqueue_to_submit;
  // One job's decision: signature, checks, limits, scan, route (steady clock).
  LatencyHistogram decision;
  // The carrier accepted the job -> the receipt of its first part arrived at this daemon
  // (jobs this process submitted, while it remembers them: core/receipt_clock.h).
  LatencyHistogram submit_to_receipt;
};

class Dispatcher : private SubmitGate {
 public:
  // `carriers` in the order the policy's router names them (the config's [[carrier]] order).
  Dispatcher(JobStore& store, std::vector<DispatchCarrier> carriers, const MacAlgorithm& mac,
             const Clock& clock, DispatcherOptions options);
  // One carrier, always up: every job goes to it.
  Dispatcher(JobStore& store, Carrier& carrier, const MacAlgorithm& mac, const Clock& clock,
             DispatcherOptions options);
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Installs the port handlers (and itself as every carrier's SubmitGate) and grants the
  // initial read credit.
  void Start();
  // The policy (keys, scopes, number checks, content rules, rate limits) is an immutable
  // snapshot swapped whole in this slot (SIGHUP, key registry changes); each batch is decided
  // under the snapshot it loaded first, in-flight decisions keep theirs.
  PolicySlot& policy() { return policy_; }
  const PolicySlot& policy() const { return policy_; }
  // Replaces the key-file keys of the current policy (the rest stays). A snapshot stored
  // directly should set PolicyParts::mac to the dispatcher's MAC so keys are prepared.
  void SetKeys(std::shared_ptr<const KeyRing> keys);
  // Optional ports; both must outlive the dispatcher. Without an AuditSink, events are only
  // counted. Without a DeferQueue, a deferral is rejected as rate_limited (and counted in
  // defer_unavailable): the job is never silently kept.
  void SetAuditSink(AuditSink* sink) { audit_ = sink; }
  void SetDeferQueue(DeferQueue* queue) { defer_ = queue; }
  // Where blocks raised by the [[pumping]] rules go to be shared (optional; must outlive the
  // dispatcher). Without one a block holds in this process only.
  void SetBlockSink(BlockSink* sink) { blocks_ = sink; }
  // Installs the blocks read from Redis into the current policy (a new snapshot), keeping any
  // raised here that Redis has not confirmed yet.
  void SetBlocks(std::shared_ptr<const BlockList> blocks);
  // Fleet-wide limits (dispatcher_leases.cc, core/limit_leases.h). `kick` runs after a batch
  // that left leases to ask for (the lease agent asks Redis at once); the agent calls
  // LeasesAnswered() when answers came in, and the entries that waited for one are decided
  // again. Without a kick, an entry that would wait is rejected (unavailable), never kept.
  void SetLeaseKick(std::function<void()> kick) { lease_kick_ = std::move(kick); }
  // Installs the segment quotas read from Redis into the current policy (a new snapshot).
  void SetQuotas(std::shared_ptr<const Quotas> quotas);
  void LeasesAnswered();
  size_t awaiting_lease() const { return awaiting_lease_.size(); }
  // Carriers at run time (dispatcher_carriers.cc). A carrier added after Start() is wired
  // at once; its index is the next one (indices never move or get reused). ReplaceCarrier
  // puts a new carrier into slot `c` (same name); call it only when at_carrier(c) is 0.
  size_t AddCarrier(DispatchCarrier carrier);
  void ReplaceCarrier(size_t c, DispatchCarrier carrier);
  void SetCarrierMode(size_t c, CarrierMode mode);
  CarrierMode carrier_mode(size_t c) const { return modes_[c]; }
  size_t carrier_count() const { return carriers_.size(); }
  // Submits to carrier `c` whose completion has not arrived yet: what the carrier holds.
  size_t at_carrier(size_t c) const { return at_carrier_by_[c]; }
  // New jobs may go to `c`: its mode is active and it has a bind that can send.
  bool Routable(size_t c) const { return Up(c); }
  // Retries due work (temporary failures) and moves jobs off carriers that went down; call
  // periodically from the loop.
  void Tick();
  // Stops reading and submitting. Entries not yet submitted are left pending in Redis (they
  // are redelivered later); `done` runs once every submitted job has its outcome committed.
  void Stop(std::function<void()> done);

  size_t inflight() const { return inflight_; }
  // Per-key, per-day usage of registry keys (outcomes; kinds, senders and countries of the
  // jobs submitted), drained by the daemon once per stats interval (keys report).
  UsageTally& usage() { return usage_; }
  const DispatcherStats& stats() const { return stats_; }
  const DispatcherTimings& timings() const { return timings_; }
  // Jobs claimed and waiting for carrier `c`'s window (c in the daemon's carrier order).
  size_t queued(size_t c) const { return c < ready_.size() ? ready_[c].size() : 0; }
  // Temporary failures waiting for their retry time.
  size_t retrying() const { return retry_.size(); }
  // Receipts made durable from carrier `c`, by ReceiptState (index = the enum's value).
  static constexpr size_t kReceiptStates = 8;
  const std::array<uint64_t, kReceiptStates>& receipts_by_state(size_t c) const {
    return receipts_by_state_[c];
  }

 private:
  struct Pending {
    Admitted admitted;  // admitted.route: the carriers to try, as indices into carriers_
    std::string entry_id;
    std::string key_id;
    int64_t not_before_ms = 0;  // retry backoff after a temporary failure
    int rounds_failed = 0;      // rounds in which every carrier of the route failed
    uint8_t pos = 0;    // the route position (carrier) the job is queued for or submitted to
    uint8_t tried = 0;  // bit per route position that failed temporarily in this round
    // The stream entry as read (the signed bytes moved in, not copied): what the delay queue
    // takes if quiet hours begin while the job waits for its carrier.
    StreamEntry source;
  };

  // The router names carriers by its own indices; ours are the daemon's carrier order (the
  // same list in the daemon: both come from the start-up [[carrier]]s). -1: not ours.
  using CarrierIndexMap = std::array<int, kMaxCarriers>;
  CarrierIndexMap OurCarrierIndices(const Router* router) const;
  // Rewrites `route` into our indices (no routes: the one carrier); false if it names a
  // carrier this daemon does not have.
  static bool ToOurCarriers(bool routed, const CarrierIndexMap& ours, RouteChoice* route);
  // A test key's job: the test carrier only. False when there is none.
  bool ToTestCarrier(RouteChoice* route);
  void OnBatch(std::vector<StreamEntry> entries);
  void OnClaimed(std::vector<Pending> jobs, std::vector<ClaimState> states);
  // Queues a job for the first carrier of its route that is up and not yet tried this round
  // (the first not tried when none is up: it waits there).
  void Enqueue(Pending p, bool front);
  void Pump();
  uint32_t ParkAtCarrier(Pending p);
  Pending Unpark(uint32_t slot);
  void MoveOffDownCarriers();
  void OnSubmitted(size_t carrier, Pending job, SubmitResult result);
  bool Up(size_t carrier) const;         // routable: active and its `up` says so
  bool CarrierUp(size_t carrier) const;  // its `up` alone
  // Whether Pump sends what waits for `c` (active or draining).
  bool Sends(size_t c) const {
    return modes_[c] == CarrierMode::kActive || modes_[c] == CarrierMode::kDraining;
  }
  void Wire(size_t index);  // handlers and gate on carrier `index`
  // Why a job may no longer be sent: its expiry against `now`, its key, its destination's
  // blocks, its recipient's opt-outs and quiet hours against `policy`.
  static GateVerdict Sendable(const PolicySnapshot& policy, const GateQuery& job, int64_t now);
  // SubmitGate, for the carriers: Sendable() under the current snapshot and clock.
  GateVerdict Check(const GateQuery& job) override;
  // A job refused at submit (Sendable said no): its outcome, audited for a withdrawn key; or,
  // when quiet hours end at `retry_at_ms` (> 0), the delay queue until then.
  void Withhold(Pending& p, Reason reason, std::string detail, int64_t retry_at_ms = 0);
  void Reject(const std::string& entry_id, const std::string& job_id, const std::string& key_id,
              const std::string& client_ref, Reason reason, std::string detail, int settles = -1);
  // `settles`: the carrier whose unsettled job this outcome settles once durable, or -1.
  void CommitOutcome(Outcome outcome, int settles = -1);
  // The usage counters of a registry key's outcome, and of a submitted job's content.
  void CountUsage(const Outcome& o);
  void CountSubmitted(const Pending& p);
  void Audit(Reason reason, std::string_view action, const StreamEntry& entry, const Decision& d,
             std::string_view detail);
  // Feeds one decided entry to the [[pumping]] rules; a block raised installs at once (the
  // batch's `policy` then points at the new snapshot) and goes to the BlockSink.
  void ObservePumping(std::shared_ptr<const PolicySnapshot>& policy, const StreamEntry& entry,
                      const Decision& d);
  void AuditPending(const Pending& p, Reason reason, std::string_view action,
                    std::string_view detail);
  // An entry a fleet-wide limit holds for its lease: kept here (still pending in Redis, so a
  // kill -9 loses nothing) until LeasesAnswered. Without a lease agent: false, and `d` becomes
  // a rejection (unavailable).
  bool HoldForLease(StreamEntry& entry, Decision& d);
  // Content rules with action "flag" matched: counted and audited.
  void AuditFlagged(const StreamEntry& entry, const Decision& d);
  void KickLeases(const PolicySnapshot& policy);
  void Finished();  // one entry left the dispatcher
  void MaybeStopped();

  JobStore& store_;
  std::vector<DispatchCarrier> carriers_;
  const MacAlgorithm& mac_;
  const Clock& clock_;
  DispatcherOptions options_;
  PolicySlot policy_;
  PolicySlot::Reader policy_reader_{policy_};  // the hot path's view: no lock per batch
  AuditSink* audit_ = nullptr;
  DeferQueue* defer_ = nullptr;
  BlockSink* blocks_ = nullptr;
  // Blocks raised here and not yet seen in a list read from Redis: SetBlocks keeps them (for
  // at most 10 s) so a list read just before our write cannot unblock the prefix.
  std::vector<Block> raised_;
  int64_t next_sweep_ms_ = 0;  // the pumping detector forgets quiet subjects once a minute

  // Per carrier: claimed, waiting for that carrier's window (FIFO: oldest first). One queue
  // per carrier so a carrier that is down or slow never holds up jobs for another.
  std::vector<std::deque<Pending>> ready_;
  std::deque<Pending> retry_;  // temporary failures waiting for not_before_ms
  size_t inflight_ = 0;        // entries received and not yet committed
  size_t at_carrier_ = 0;      // submits whose completion has not arrived yet (all carriers)
  // Per carrier: submitted and not yet settled (DispatchCarrier::max_unsettled).
  std::vector<size_t> unsettled_;
  std::vector<size_t> at_carrier_by_;  // per carrier: at_carrier_'s share
  // Jobs at a carrier, by slot (ParkAtCarrier/Unpark): the submit callback holds the slot.
  std::vector<Pending> parked_;
  std::vector<uint32_t> free_slots_;
  std::vector<CarrierMode> modes_;
  // Entries decided "await a lease", in arrival order (HoldForLease).
  std::vector<StreamEntry> awaiting_lease_;
  std::function<void()> lease_kick_;
  bool started_ = false;
  size_t credit_owed_ = 0;  // credit to hand back to the store in one grant
  bool stopping_ = false;
  std::function<void()> stopped_;
  DispatcherStats stats_;
  DispatcherTimings timings_;
  std::vector<std::array<uint64_t, kReceiptStates>> receipts_by_state_;  // per carrier
  ReceiptClock receipt_clock_;
  UsageTally usage_;
  std::mt19937_64 rng_{std::random_device{}()};  // backoff jitter (core/backoff.h)
};

}  // namespace sd
