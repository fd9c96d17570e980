#include "core/limit_table.h"

#include <bit>
#include <thread>

namespace sd {
namespace {

size_t PowerOfTwoAtLeast(size_t n, size_t min) { return std::bit_ceil(n < min ? min : n); }

// A re-read after a CAS found the slot given to another key: refund and look again. Bounded so
// a pathological interleaving cannot spin forever; after it the last verdict stands.
constexpr int kMaxReuseRetries = 4;

}  // namespace

LimitTable::LimitTable(const LimitTableOptions& opts) : hash_key_(opts.hash_key) {
  capacity_ = PowerOfTwoAtLeast(opts.capacity, kProbe);
  shard_count_ = PowerOfTwoAtLeast(opts.shards, 1);
  if (shard_count_ > capacity_ / kProbe) shard_count_ = capacity_ / kProbe;
  shard_slots_ = capacity_ / shard_count_;
  while (shard_slots_ > (size_t{1} << 20)) {  // keep PlaceOf's bit ranges disjoint
    shard_count_ *= 2;
    shard_slots_ /= 2;
  }
  // Value-initialised: every slot starts unused with an idle TAT. All memory is touched here,
  // so it is committed at construction, not on first use under a flood.
  slots_ = std::make_unique<Slot[]>(capacity_);
  locks_ = std::make_unique<ShardLock[]>(shard_count_);
}

size_t LimitTable::MemoryBytes() const {
  return sizeof(LimitTable) + capacity_ * sizeof(Slot) + shard_count_ * sizeof(ShardLock);
}

uint64_t LimitTable::Hash(std::string_view key) const {
  const uint64_t h = SipHash24(hash_key_, key);
  return h == 0 ? 1 : h;  // 0 marks an unused slot
}

LimitTable::Place LimitTable::PlaceOf(uint64_t hash) const {
  // Disjoint bit ranges of a keyed hash: shard (bits 40+), first window (bits 0..19), second
  // window (bits 20..39). Shard slots are at most 2^18, so the ranges never overlap.
  Place pl;
  pl.shard = static_cast<size_t>(hash >> 40) & (shard_count_ - 1);
  pl.base = pl.shard * shard_slots_;
  pl.home[0] = static_cast<size_t>(hash) & (shard_slots_ - 1);
  pl.home[1] = static_cast<size_t>(hash >> 20) & (shard_slots_ - 1);
  return pl;
}

LimitTable::Slot* LimitTable::Find(const Place& pl, uint64_t hash) const {
  const size_t mask = shard_slots_ - 1;
  for (size_t w = 0; w < 2; ++w) {
    for (size_t i = 0; i < kProbe; ++i) {
      Slot& s = slots_[pl.base + ((pl.home[w] + i) & mask)];
      const uint64_t h = s.hash.load(std::memory_order_acquire);
      if (h == hash) return &s;
      // Slots never become unused again, and a key goes to the second window only when the
      // first had no free slot: an unused slot ends the search.
      if (h == 0) return nullptr;
    }
  }
  return nullptr;
}

LimitTable::Charged LimitTable::InsertAndCharge(const Place& pl, uint64_t hash, const GcraParams& p,
                                                int64_t now_ns, int64_t cost, bool* found) {
  std::atomic<bool>& held = locks_[pl.shard].held;
  while (held.exchange(true, std::memory_order_acquire)) {
    while (held.load(std::memory_order_relaxed)) std::this_thread::yield();
  }
  *found = false;
  Charged out{Status::kFull, 0, {}};
  if (Find(pl, hash) != nullptr) {
    *found = true;  // another inserter added the key while we waited: charge it lock-free
  } else {
    const size_t mask = shard_slots_ - 1;
    for (size_t w = 0; w < 2 && out.status == Status::kFull; ++w) {
      for (size_t i = 0; i < kProbe; ++i) {
        Slot& s = slots_[pl.base + ((pl.home[w] + i) & mask)];
        const uint64_t h = s.hash.load(std::memory_order_acquire);
        // Unused, or idle (an idle bucket equals a fresh one, so the TAT is kept as it is).
        if (h == 0 || s.tat.load(std::memory_order_acquire) <= now_ns) {
          s.hash.store(hash, std::memory_order_seq_cst);
          // Charged under the lock so the bucket is live before another inserter could see it
          // idle and take it.
          const GcraVerdict v = GcraCharge(s.tat, p, now_ns, cost);
          out = Charged{v.admitted ? Status::kAdmitted : Status::kLimited, v.retry_at_ns,
                        Ticket{&s, hash}};
          break;
        }
      }
    }
  }
  held.store(false, std::memory_order_release);
  return out;
}

LimitTable::Charged LimitTable::ChargeHash(uint64_t hash, const GcraParams& p, int64_t now_ns,
                                           int64_t cost) {
  if (hash == 0) hash = 1;
  const Place pl = PlaceOf(hash);
  Charged out{Status::kFull, 0, {}};
  for (int attempt = 0; attempt <= kMaxReuseRetries; ++attempt) {
    Slot* s = Find(pl, hash);
    if (s == nullptr) {
      bool found = false;
      out = InsertAndCharge(pl, hash, p, now_ns, cost, &found);
      if (!found) {
        if (out.status == Status::kFull) full_.fetch_add(1, std::memory_order_relaxed);
        return out;
      }
      continue;  // present after all: take the lock-free path
    }
    const GcraVerdict v = GcraCharge(s->tat, p, now_ns, cost);
    out =
        Charged{v.admitted ? Status::kAdmitted : Status::kLimited, v.retry_at_ns, Ticket{s, hash}};
    // The slot may have been given to another key between Find and the CAS (only possible if
    // our bucket was idle). Then the verdict was about that key's bucket: undo and look again.
    if (s->hash.load(std::memory_order_seq_cst) == hash) return out;
    if (v.admitted) GcraRefund(s->tat, p, cost);
  }
  return out;
}

LimitTable::Charged LimitTable::Peek(std::string_view key, const GcraParams& p, int64_t now_ns,
                                     int64_t cost) const {
  uint64_t hash = Hash(key);
  if (hash == 0) hash = 1;
  const Slot* s = Find(PlaceOf(hash), hash);
  static const std::atomic<int64_t> kIdle{0};
  const GcraVerdict v = GcraPeek(s != nullptr ? s->tat : kIdle, p, now_ns, cost);
  return Charged{v.admitted ? Status::kAdmitted : Status::kLimited, v.retry_at_ns, {}};
}

void LimitTable::Refund(const Ticket& t, const GcraParams& p, int64_t cost) {
  if (t.slot == nullptr) return;
  if (t.slot->hash.load(std::memory_order_seq_cst) != t.hash) return;
  GcraRefund(t.slot->tat, p, cost);
}

size_t LimitTable::LiveEntries(int64_t now_ns) const {
  size_t n = 0;
  for (size_t i = 0; i < capacity_; ++i) {
    if (slots_[i].hash.load(std::memory_order_relaxed) != 0 &&
        slots_[i].tat.load(std::memory_order_relaxed) > now_ns) {
      ++n;
    }
  }
  return n;
}

size_t LimitTable::UsedSlots() const {
  size_t n = 0;
  for (size_t i = 0; i < capacity_; ++i) {
    if (slots_[i].hash.load(std::memory_order_relaxed) != 0) ++n;
  }
  return n;
}

}  // namespace sd
