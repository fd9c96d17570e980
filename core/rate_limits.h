#pragma once
// The rate limits applied to one job (docs/limits.md): per signing key, per destination number,
// per destination prefix (the number minus its last k digits: the SMS-pumping defence), per
// sender and per carrier. Each limit is a GCRA per distinct value, charged in segments, with an
// action when exceeded: reject (Reason::kRateLimited) or defer (retry at a given time).
//
// Charging is all-or-nothing: limits are charged in configuration order; if one refuses, the
// ones already charged are refunded, so a refused job consumes no budget. (Charge-then-refund
// rather than check-then-charge: a check followed by a charge races with other threads and
// would need the refund anyway; GCRA charges add, so a refund is exact.)
//
// A RateLimits is an immutable snapshot built from config; Charge() is const and thread-safe.
// The mutable state (bucket tables, counters) lives in LimitState objects held by shared_ptr.
// Build() given the previous snapshot reuses a limit's state when its name, scope, prefix
// digits and capacity are unchanged, so a policy reload keeps every bucket's history (also
// when only rate, burst or action changed: a TAT is a time, meaningful under new parameters).
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/gcra.h"
#include "core/limit_leases.h"
#include "core/limit_table.h"
#include "core/result.h"

namespace sd {

enum class LimitScope : uint8_t {
  kKey,                // the signing key's family (KeyFamily: every version of one key)
  kDestination,        // the destination number
  kDestinationPrefix,  // the destination minus its last prefix_drop_digits digits
  kSender,             // the sender id
  kCarrier,            // the carrier the job is routed to
};
std::string_view LimitScopeName(LimitScope s);
// Config names: "key", "destination", "destination_prefix", "sender", "carrier".
std::optional<LimitScope> LimitScopeFromName(std::string_view name);

enum class LimitAction : uint8_t {
  kReject,  // outcome rejected, reason rate_limited
  kDefer,   // the job is retried at retry_at_ms
};
// Config names: "reject", "defer".
std::optional<LimitAction> LimitActionFromName(std::string_view name);

// What a limit decides when its table has no room for a new value (every slot of the value's
// window holds a live bucket of another value). Never grows memory.
enum class FullPolicy : uint8_t {
  kFailClosed,  // treat as limited (apply the limit's action): the default
  kFailOpen,    // treat as admitted without charging
};
// Config names (on_full): "reject" (fail closed), "admit" (fail open).
std::optional<FullPolicy> FullPolicyFromName(std::string_view name);

// Where a limit's budget lives (docs/limits.md, "Fleet-wide limits"). A local limit is this
// process's own; a global one is one bucket in Redis shared by every daemon of the deployment,
// which each daemon leases tokens from in blocks (core/limit_leases.h).
enum class LimitReach : uint8_t { kLocal, kGlobal };
// Config names (reach): "local", "global".
std::optional<LimitReach> LimitReachFromName(std::string_view name);

struct LimitConfig {
  std::string name;  // unique; names the limit in details, stats and reload matching
  LimitScope scope = LimitScope::kKey;
  RateSpec rate;  // count per period_ms, burst
  LimitAction action = LimitAction::kReject;
  int prefix_drop_digits = 0;         // kDestinationPrefix only: 1..14
  size_t capacity = size_t{1} << 16;  // bucket slots (power of two; memory = 16 B per slot)
  FullPolicy on_full = FullPolicy::kFailClosed;
  LimitReach reach = LimitReach::kLocal;
  // Global limits only: tokens per lease (0: the rate of 100 ms, at least 1, at most the
  // burst) and how long unspent leased tokens are kept before they go back.
  int64_t lease_units = 0;
  int64_t lease_ms = 1000;
};
// The lease size a global limit uses (lease_units, or its default).
int64_t LeaseUnitsOf(const LimitConfig& cfg);

struct RateLimitsConfig {
  std::vector<LimitConfig> limits;  // charged in this order
  SipKey hash_key;  // random per process (daemon), fixed in tests; all-zero is refused
};

// Checks every field; the error detail names the limit ("limits[1] 'per_prefix': ...").
Result<bool> ValidateRateLimits(const RateLimitsConfig& cfg);

struct LimitSubject {
  std::string_view key_id;
  std::string_view destination;
  std::string_view sender;
  std::string_view carrier;  // empty: carrier limits are skipped (not routed yet)
  int64_t segments = 1;      // the cost: SMS segments, not messages
};

struct LimitVerdict {
  // kAwaitLease: a global limit has no tokens for the job here yet and has asked for a lease;
  // nothing is charged, and the job is to be decided again once the lease is answered.
  enum class Kind : uint8_t { kAdmit, kReject, kDefer, kAwaitLease };
  Kind kind = Kind::kAdmit;
  std::string limit;        // the refusing limit's name (empty when admitted)
  std::string detail;       // for the outcome: which limit and why
  int64_t retry_at_ms = 0;  // kDefer: earliest time to retry (ms, rounded up)
  bool admitted() const { return kind == Kind::kAdmit; }
  // For kReject: the error to put on the outcome.
  Error error() const { return Error{Reason::kRateLimited, detail}; }
};

// Counters of one limit; they survive reloads with its state.
struct LimitCounters {
  std::atomic<uint64_t> admitted{0};         // charges that passed this limit
  std::atomic<uint64_t> rejected{0};         // jobs this limit refused with action reject
  std::atomic<uint64_t> deferred{0};         // jobs this limit refused with action defer
  std::atomic<uint64_t> refunded{0};         // charges given back because a later limit refused
  std::atomic<uint64_t> table_full{0};       // charges that found no room (either policy)
  std::atomic<uint64_t> cost_over_burst{0};  // jobs with more segments than the burst
};

// The state of one limit that outlives snapshots.
struct LimitState {
  LimitState(const LimitConfig& cfg, const SipKey& key);
  const LimitScope scope;
  const int prefix_drop_digits;
  LimitTable table;  // the buckets of a local limit (a global one keeps one slot)
  LimitCounters counters;
  // Global limits: the tokens leased from the Redis bucket. Null for a local limit.
  std::unique_ptr<LeaseBook> leases;
};

// A global limit as the lease agent sees it: where its Redis buckets are named and how they
// run (the same GCRA parameters every daemon uses).
struct GlobalLimit {
  std::string name;
  GcraParams params;
  std::shared_ptr<LimitState> state;  // state->leases is non-null
};

struct LimitStats {
  std::string name;
  LimitScope scope;
  uint64_t admitted, rejected, deferred, refunded, table_full, cost_over_burst;
  size_t capacity;
  size_t memory_bytes;
  // Global limits (reach = global) only; zero for local ones.
  bool global = false;
  uint64_t lease_requested = 0, lease_granted_units = 0, lease_denied = 0, lease_failed = 0,
           lease_returned_units = 0, lease_awaited = 0;
};

class RateLimits {
 public:
  // Validates cfg and builds a snapshot. With `previous`, reuses the state of each unchanged
  // limit (same name, scope, prefix digits and capacity); other limits start idle.
  static Result<std::shared_ptr<const RateLimits>> Build(const RateLimitsConfig& cfg,
                                                         const RateLimits* previous = nullptr);

  // Charges every applicable limit for one job, all or nothing. Thread-safe.
  [[nodiscard]] LimitVerdict Charge(const LimitSubject& job, int64_t now_ms) const;
  // What Charge would answer now, charging nothing and counting nothing: the first limit
  // that would refuse, with retry_at_ms set for kReject as well (a 429's Retry-After).
  [[nodiscard]] LimitVerdict Peek(const LimitSubject& job, int64_t now_ms) const;
  [[nodiscard]] LimitVerdict Charge(const LimitSubject& job, const Clock& clock) const {
    return Charge(job, clock.NowMs());
  }

  std::vector<LimitStats> Stats() const;
  // The global limits, for the lease agent.
  std::vector<GlobalLimit> Globals() const;
  // Whether any global limit has a lease to ask for (cheap: one atomic load per global limit).
  bool WantsLeases() const;
  // Total bytes of all limit tables, fixed at Build().
  size_t MemoryBytes() const;
  size_t size() const { return limits_.size(); }
  // The shared state of a limit by name (tests, reload checks); nullptr if absent.
  std::shared_ptr<LimitState> StateOf(std::string_view name) const;

  struct Limit {
    LimitConfig cfg;
    GcraParams params;
    std::string description;  // "rate limit 'name' (scope, ...)": built once, for details
    std::shared_ptr<LimitState> state;
  };

 private:
  std::vector<Limit> limits_;
};

// The destination prefix key: the number without its last `drop` digits (never empty: at
// least the first character is kept).
std::string_view DestinationPrefix(std::string_view destination, int drop);

}  // namespace sd
