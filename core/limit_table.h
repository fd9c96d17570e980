#pragma once
// A bounded, sharded table of GCRA buckets for high-cardinality keys (destination numbers,
// destination prefixes, sender ids). Memory is allocated once at construction and never grows:
// a flood of distinct numbers cannot exhaust memory, it can only fill the table, and a full
// table answers kFull, which the caller turns into a documented decision (docs/limits.md).
//
// Layout: `shards` shards of `capacity / shards` slots each (powers of two). A slot is two
// atomics, a 64-bit keyed hash of the key (0 = never used) and the bucket's TAT. A key lives in
// one of two windows of kProbe consecutive slots of its shard, each starting at a position
// taken from different bits of the hash; a new key goes to the first window if it has room, else
// to the second ("two choices": windows run full at a much higher load than with one).
//
// Concurrency:
//  - Charging a key that is present is lock-free: scan its windows for the hash (atomic loads),
//    then the GCRA CAS loop on that slot's TAT. This is the hot path for every repeat key.
//  - Inserting a key (a miss) takes a tiny per-shard spinlock, held only while rescanning the
//    window, storing the hash into a free slot and charging it (a few loads, one store, one
//    CAS; no allocation, no syscalls). The lock exists so two threads inserting the same new key
//    cannot claim two different slots (which would give that key twice its budget). Readers never
//    take it.
//  - Expiry is implicit: a slot whose TAT <= now is an idle bucket, which is indistinguishable
//    from a fresh one, so an inserter may give it to another key without resetting the TAT.
//    Slots never return to "empty", so a reader may stop its scan at the first empty slot.
//  - Reuse race: a charge on key A may land at the instant A's expired slot is given to key B.
//    The charger re-reads the slot's hash after its CAS; if it changed, it refunds and retries.
//    What remains is documented in docs/limits.md: B may transiently see A's charge (stricter),
//    and in one interleaving A (idle, i.e. fresh anyway) loses at most that one charge.
//  - Two different keys with the same 64-bit hash share a bucket (stricter, never looser).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/gcra.h"
#include "core/siphash.h"

namespace sd {

struct LimitTableOptions {
  size_t capacity = size_t{1} << 16;  // total slots, rounded up to a power of two
  size_t shards = 64;  // rounded up to a power of two; at most capacity / kProbe, and raised
                       // so a shard has at most 2^20 slots
  SipKey hash_key;     // random per process in the daemon; fixed in tests
};

class LimitTable {
 public:
  static constexpr size_t kProbe = 16;  // slots per window: 4 cache lines

  explicit LimitTable(const LimitTableOptions& opts);
  LimitTable(const LimitTable&) = delete;
  LimitTable& operator=(const LimitTable&) = delete;

  enum class Status : uint8_t {
    kAdmitted,  // charged
    kLimited,   // the key's bucket refused the cost; retry_at_ns says when it would pass
    kFull,      // the key has no slot and both its windows hold only live buckets of others
  };
  struct Slot;
  // Names the bucket an admitted charge went to, for Refund().
  struct Ticket {
    Slot* slot = nullptr;
    uint64_t hash = 0;
  };
  struct Charged {
    Status status = Status::kFull;
    int64_t retry_at_ns = 0;  // see GcraVerdict; 0 for kFull
    Ticket ticket;            // valid when kAdmitted
  };

  uint64_t Hash(std::string_view key) const;
  [[nodiscard]] Charged Charge(std::string_view key, const GcraParams& p, int64_t now_ns,
                               int64_t cost) {
    return ChargeHash(Hash(key), p, now_ns, cost);
  }
  [[nodiscard]] Charged ChargeHash(uint64_t hash, const GcraParams& p, int64_t now_ns,
                                   int64_t cost);
  // What a charge of `cost` to `key` would answer now, changing nothing. A key without a
  // bucket is idle, so it passes (whether a slot would be free is only known when charging).
  [[nodiscard]] Charged Peek(std::string_view key, const GcraParams& p, int64_t now_ns,
                             int64_t cost) const;
  // Undoes an admitted charge. A no-op if the slot was meanwhile given to another key (then
  // the key was idle, i.e. fresh, and nothing is owed).
  void Refund(const Ticket& t, const GcraParams& p, int64_t cost);

  size_t capacity() const { return capacity_; }
  size_t shards() const { return shard_count_; }
  // Bytes allocated at construction (slots + shard locks); constant for the table's lifetime.
  size_t MemoryBytes() const;
  // Keys with a live bucket at now_ns. O(capacity): for tests and stats, not the data path.
  size_t LiveEntries(int64_t now_ns) const;
  // Slots ever used (hash != 0). O(capacity).
  size_t UsedSlots() const;
  // Charges answered kFull since construction.
  uint64_t full_count() const { return full_.load(std::memory_order_relaxed); }

  struct Slot {
    std::atomic<uint64_t> hash{0};  // keyed hash of the key owning the bucket; 0 = never used
    std::atomic<int64_t> tat{0};    // the bucket's TAT (ns); <= now means idle = reusable
  };

 private:
  struct alignas(64) ShardLock {
    std::atomic<bool> held{false};
  };
  // Where a hash may live: its shard and the starts of its two windows in that shard.
  struct Place {
    size_t shard = 0;
    size_t base = 0;  // index of the shard's first slot
    size_t home[2] = {0, 0};
  };
  Place PlaceOf(uint64_t hash) const;
  Slot* Find(const Place& pl, uint64_t hash) const;
  // Under the shard lock: if the key is present sets *found; otherwise claims a free slot and
  // charges it (kFull if none).
  Charged InsertAndCharge(const Place& pl, uint64_t hash, const GcraParams& p, int64_t now_ns,
                          int64_t cost, bool* found);

  const SipKey hash_key_;
  size_t capacity_ = 0;
  size_t shard_count_ = 0;
  size_t shard_slots_ = 0;  // slots per shard (power of two)
  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<ShardLock[]> locks_;
  std::atomic<uint64_t> full_{0};
};

}  // namespace sd
