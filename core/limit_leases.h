#pragma once
// The in-process side of a fleet-wide ("global") rate limit (docs/limits.md, "Fleet-wide
// limits"). The limit's one true bucket is a GCRA in Redis, shared by every daemon; a daemon
// does not ask it per job but leases tokens from it in small blocks (one script per lease) and
// spends them here, in process, with no I/O on the job's path. What it did not spend when the
// lease runs out goes back to the bucket.
//
// A LeaseBook holds, per value of the limit (a key family, a carrier, ...), the tokens leased
// and not yet spent. Charging a value:
//   - enough tokens: spent; if what is left is at most half a lease, the next lease is asked
//     for ahead of need (so a steady flow rarely waits);
//   - the bucket refused this daemon's last lease (or Redis did not answer) less than its
//     retry time ago: kDenied, and the limit's action applies (reject or defer until then);
//   - otherwise: kAwait, and a lease for the value is wanted; the caller holds the job (no
//     budget spent) and decides it again once the answer is in (Granted or Failed).
// The lease agent (adapters/redis/lease_agent.h) takes the wants, runs the lease script and
// reports back; it also takes the tokens whose lease ran out (TakeExpired) and returns them.
//
// Overshoot bound: a daemon never holds more than max(lease_units, one job's cost) unspent
// tokens (a lease asks only for what brings the balance back up to that), so in any window the
// fleet admits at most what the Redis bucket grants in it plus one lease per daemon.
//
// Memory is bounded: at most `capacity` values; an idle value (no tokens, nothing asked,
// not denied) is forgotten to make room, and with no idle value a new one gets kFull.
// One mutex per book, held for a hash lookup and a few integer updates (never across I/O):
// global limits are charged on the dispatcher's loop thread, where it is never contended.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/siphash.h"

namespace sd {

struct LeaseOptions {
  int64_t lease_units = 1;   // tokens (segments) asked for per lease
  int64_t lease_ms = 1000;   // unspent tokens go back this long after their lease was granted
  int64_t fail_ms = 250;     // after a lease got no answer, the value is denied this long
  size_t capacity = 65'536;  // values held at once
};

struct LeaseCounters {
  std::atomic<uint64_t> requested{0};  // leases asked of Redis
  std::atomic<uint64_t> granted_units{0};
  std::atomic<uint64_t> denied{0};          // leases the Redis bucket refused (0 tokens granted)
  std::atomic<uint64_t> failed{0};          // leases that got no answer (Redis down, error)
  std::atomic<uint64_t> returned_units{0};  // unspent tokens handed back for return
  std::atomic<uint64_t> awaited{0};         // charges that had to wait for a lease
  std::atomic<uint64_t> full{0};            // charges refused a place (capacity reached)
};

class LeaseBook {
 public:
  LeaseBook(const LeaseOptions& opts, const SipKey& hash_key)
      : opts_(opts), entries_(16, Hash{hash_key}) {}
  LeaseBook(const LeaseBook&) = delete;
  LeaseBook& operator=(const LeaseBook&) = delete;

  enum class Status : uint8_t { kSpent, kAwait, kDenied, kFull };
  struct Verdict {
    Status status = Status::kFull;
    int64_t retry_at_ms = 0;  // kDenied: when the value may lease again
    bool unanswered = false;  // kDenied because the last lease got no answer (Failed)
  };

  // Spends `cost` tokens of `value`, or says why not (see the header comment).
  // `lease_units` > 0 overrides the book's lease size for this value (quotas: per subject).
  [[nodiscard]] Verdict Spend(std::string_view value, int64_t cost, int64_t now_ms,
                              int64_t lease_units = 0);
  // What Spend would answer, changing nothing (kAwait for a value that would wait).
  [[nodiscard]] Verdict Peek(std::string_view value, int64_t cost, int64_t now_ms) const;
  // Gives back tokens Spend took (all-or-nothing charging across limits).
  void Refund(std::string_view value, int64_t cost);

  // ---- For the lease agent ----
  struct Want {
    std::string value;
    int64_t units = 0;
  };
  // The leases wanted since the last call, each value once until it is answered.
  std::vector<Want> TakeWants();
  bool HasWants() const { return has_wants_.load(std::memory_order_acquire); }
  // The Redis bucket's answer: `units` granted (> 0), or none and `retry_after_ms` (>= 0) until
  // it would grant one.
  void Granted(std::string_view value, int64_t units, int64_t retry_after_ms, int64_t now_ms);
  // No answer (connection lost, error): the value is denied for fail_ms.
  void Failed(std::string_view value, int64_t now_ms);
  // Tokens whose lease ran out, taken off their values: to go back to the bucket.
  std::vector<Want> TakeExpired(int64_t now_ms);
  // Every unspent token, taken off: at shutdown.
  std::vector<Want> TakeAll();

  const LeaseOptions& options() const { return opts_; }
  const LeaseCounters& counters() const { return counters_; }
  size_t size() const;
  // Tokens held now, summed over values (tests, stats).
  int64_t HeldUnits() const;

 private:
  struct Entry {
    int64_t balance = 0;          // leased, unspent
    int64_t expires_ms = 0;       // balance goes back at this time
    int64_t denied_until_ms = 0;  // no lease before this time
    bool requested = false;       // a lease is asked for and not answered yet
    bool unanswered = false;      // denied_until_ms comes from Failed, not from the bucket
  };
  Entry* FindOrAdd(std::string_view value, int64_t now_ms);  // null when full
  void WantLocked(std::string_view value, Entry& e, int64_t units);
  void ExpireLocked(std::string_view value, Entry& e, int64_t now_ms);

  // Lookups by string_view without building a string (C++20 heterogeneous lookup).
  // Keyed (SipHash, the per-process key of the limit tables): values such as destination
  // numbers are chosen by whoever sends, and must not be able to pile into one hash chain.
  struct Hash {
    using is_transparent = void;
    SipKey key;
    size_t operator()(std::string_view s) const { return SipHash24(key, s); }
  };
  const LeaseOptions opts_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
  std::vector<Want> wants_;
  std::vector<Want> expired_;  // balances found expired by Spend, for the next TakeExpired
  std::atomic<bool> has_wants_{false};
  LeaseCounters counters_;
};

}  // namespace sd
