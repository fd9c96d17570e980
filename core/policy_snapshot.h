#pragma once
// Everything the admission decision reads, as one immutable value (docs/policy.md, "How it is
// wired"): the signing keys (a key file's ring or the Redis registry's snapshot), the decision
// settings, the number checker, the content scanner, the rate limits and the routes. A reload
// (SIGHUP, a registry change) builds a new snapshot and swaps it into a PolicySlot; a decision
// takes one snapshot per batch and never sees half of one reload and half of another.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/block_list.h"
#include "core/content_scan.h"
#include "core/decision_config.h"
#include "core/domain_names.h"
#include "core/gcra.h"
#include "core/key_record.h"
#include "core/key_ring.h"
#include "core/mac.h"
#include "core/number_check.h"
#include "core/optout.h"
#include "core/optout_set.h"
#include "core/pumping.h"
#include "core/quiet_hours.h"
#include "core/quota_costs.h"
#include "core/quotas.h"
#include "core/rate_limits.h"
#include "core/router.h"

namespace sd {

// The parts a snapshot is made of. Every pointer may be null: no keys of that source, no
// number library (E.164 syntax only), no content scanner (URLs are still judged against the
// key's URL policy), no rate limits.
struct PolicyParts {
  DecisionConfig decision;
  // [keys] file = ...: keys without scopes or validity window (any kind, sender, country).
  std::shared_ptr<const KeyRing> file_keys;
  // [keys] registry = "redis": keys with scopes, validity window and revocation. When both
  // are set, the registry is asked first.
  std::shared_ptr<const KeyRegistrySnapshot> registry_keys;
  std::shared_ptr<const NumberChecker> numbers;
  std::shared_ptr<const ContentScanner> content;
  // How hosts are read (UTS #46, UTS #39) when there is no content scanner and a key's URL
  // policy still has to be applied. With neither, a key whose URL policy is not `any` gets
  // url_not_allowed for every job: its policy cannot be checked.
  std::shared_ptr<const DomainNames> domains;
  std::shared_ptr<const RateLimits> limits;
  // [[route]]: which carriers a job goes to, before the limits are charged. Null: no route
  // stage (the caller names the one carrier; carrier limits charge that).
  std::shared_ptr<const Router> router;
  // SMS-pumping blocks in force (Redis' sd:blocks, kept current by the daemon): a job whose
  // destination prefix is blocked, for every key or for its key family, is refused
  // pumping_suspected. Null: none.
  std::shared_ptr<const BlockList> blocks;
  // Segment quotas (Redis' sd:quotas, kept current by the daemon; core/quotas.h). Null: none.
  std::shared_ptr<const Quotas> quotas;
  // [[quota_cost]]: what a segment costs against the quotas, by country and carrier
  // (core/quota_costs.h). Null: one unit per segment.
  std::shared_ptr<const QuotaCosts> quota_costs;
  // Opt-outs (Redis' sd:optouts, kept current by the daemon) and what they apply to: a job to
  // a number that opted out of its sender's scope, or of every sender, is refused opted_out
  // when its kind is covered. Null rules or set: no opt-out stage.
  std::shared_ptr<const OptOutRules> optout_rules;
  std::shared_ptr<const OptOutSet> optouts;
  // [[quiet_hours]]: kinds not sent in the recipient's local night (null: none).
  std::shared_ptr<const QuietHours> quiet;
  // Places a recipient in its time zones (Admitted::zones), whether or not quiet hours are
  // configured now: a reload may add them while admitted jobs wait (null: never placed).
  std::shared_ptr<const LocalTimes> local_times;
  // [[pumping]] rules and what they learnt. Not const: the dispatcher observes every attempted
  // job on its loop thread (and nothing else touches it); a reload hands its state on.
  std::shared_ptr<PumpingDetector> pumping;
  // When set, Make() prepares every key's HMAC with it (MacAlgorithm::Prepare) and the
  // decision verifies with the prepared key when it is given this same algorithm. Must outlive
  // the snapshots.
  const MacAlgorithm* mac = nullptr;
};

// A key's own rate limit (scopes.rate_per_s / burst): one GCRA bucket. Its state outlives
// snapshots (shared by every snapshot while the key keeps a rate), like a LimitState.
struct KeyRateBucket {
  GcraParams params;
  std::string description;  // "key 'acme.v1' rate limit (10/s, burst 20)"
  // Theoretical arrival time, ns (core/gcra.h). One per key family (KeyFamily): every version
  // of a key charges the same time under its own params, so a rotation (a new version) never
  // starts with a fresh budget. Never null.
  std::shared_ptr<std::atomic<int64_t>> tat;
};

// The scopes of a registry key in the forms the number checker and the content scanner take,
// computed once per snapshot so the per-job path copies no list.
struct DerivedScopes {
  CountryScope countries;
  UrlScope urls;
  std::shared_ptr<KeyRateBucket> rate;  // null: the key has no rate of its own
};
DerivedScopes DeriveScopes(const KeyScopes& s);

class PolicySnapshot {
 public:
  // With `previous`, keys that keep a rate keep their bucket (and its history).
  static std::shared_ptr<const PolicySnapshot> Make(PolicyParts parts, uint64_t generation = 0,
                                                    const PolicySnapshot* previous = nullptr);

  const PolicyParts& parts() const { return parts_; }
  const DecisionConfig& decision() const { return parts_.decision; }
  // Counts reloads (0 for the first snapshot); logged so an operator can tell which is live.
  uint64_t generation() const { return generation_; }
  // The derived scopes of a registry key; nullptr for ids not in the registry.
  const DerivedScopes* ScopesOf(std::string_view key_id) const;
  // The prepared HMAC of a key id (registry key if the registry has the id, else the file's),
  // or nullptr.
  const PreparedMac* PreparedKeyOf(std::string_view key_id) const;
  // "Everything allowed": the scopes of a key-file key.
  static const DerivedScopes& AnyScopes();

 private:
  struct IdHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  PolicyParts parts_;
  uint64_t generation_ = 0;
  std::unordered_map<std::string, DerivedScopes, IdHash, std::equal_to<>> scopes_;
  std::unordered_map<std::string, std::shared_ptr<const PreparedMac>, IdHash, std::equal_to<>>
      prepared_;
  // The rate buckets' times by key family, for the next snapshot to take over.
  std::unordered_map<std::string, std::shared_ptr<std::atomic<int64_t>>, IdHash, std::equal_to<>>
      family_tats_;
};

// The live snapshot: one shared_ptr read and replaced only through the standard atomic
// shared_ptr operations. Readers Load() and keep what they loaded alive for as long as they use
// it (a batch); writers replace it whole. Two writers (a SIGHUP reload and a registry change)
// must not lose each other's part, so changes go through Update(), a compare-and-swap loop that
// re-applies the change to whatever is current.
//
// Why not std::atomic<std::shared_ptr>: GCC 12's libstdc++ implements it with a lock bit in the
// control-block pointer, and load() releases that bit with memory_order_relaxed, so its read of
// the object pointer is not ordered before the next writer's store (ThreadSanitizer reports it
// in tests/core/mt/policy_slot_mt_test.cc; on a weakly ordered CPU a reader could pair a new
// pointer with the old reference count). The atomic_load/atomic_store/atomic_compare_exchange
// overloads for shared_ptr (deprecated in C++20 in favour of the former, still provided) take
// one of libstdc++'s pooled mutexes for a few instructions: readers never wait on a writer's
// work (a snapshot is built before the swap), only on the pointer copy itself.
class PolicySlot {
 public:
  explicit PolicySlot(
      std::shared_ptr<const PolicySnapshot> initial = PolicySnapshot::Make(PolicyParts{}))
      : current_(std::move(initial)) {}
  PolicySlot(const PolicySlot&) = delete;
  PolicySlot& operator=(const PolicySlot&) = delete;

  std::shared_ptr<const PolicySnapshot> Load() const;
  void Store(std::shared_ptr<const PolicySnapshot> next);
  // `change` maps the current parts to the next ones; it may run more than once (when another
  // writer got in between), so it must not have side effects. The generation goes up by one.
  // Returns the snapshot installed.
  std::shared_ptr<const PolicySnapshot> Update(
      const std::function<PolicyParts(const PolicySnapshot&)>& change);

  // What a reader on the hot path uses instead of Load(): while nothing was swapped, Current()
  // is one acquire load of the slot's version and returns the snapshot it cached, so readers
  // never take the pooled mutex (nor touch the shared reference count) per batch; only the
  // first Current() after a swap copies the new pointer, once per reload. One Reader per
  // thread (it is not itself thread-safe); it keeps the snapshot it returned alive until the
  // next Current() that sees a swap.
  class Reader {
   public:
    explicit Reader(const PolicySlot& slot) : slot_(slot) {}
    const std::shared_ptr<const PolicySnapshot>& Current();

   private:
    const PolicySlot& slot_;
    uint64_t seen_ = ~uint64_t{0};  // the slot's version cached_ was loaded at
    std::shared_ptr<const PolicySnapshot> cached_;
  };

 private:
  // Only ever accessed through std::atomic_load/atomic_store/atomic_compare_exchange_weak.
  std::shared_ptr<const PolicySnapshot> current_;
  // Bumped (release) after every swap of current_: a Reader that sees a new value reloads; one
  // that still sees the old value keeps a snapshot at most one swap old, as if it had loaded
  // just before the swap.
  std::atomic<uint64_t> version_{0};
};

}  // namespace sd
