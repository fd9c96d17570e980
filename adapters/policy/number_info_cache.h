#pragma once
// A bounded cache of what libphonenumber said about a destination string, keyed by the exact
// input. libphonenumber costs tens of microseconds per number (regular expressions over its
// metadata); a busy sender repeats destinations, so the hot path should pay that once.
//
// Concurrency: lock-free. kShards independent shards, each a fixed array of kWays-way sets; a
// slot is a sequence counter plus the entry packed into a few atomic words (a seqlock whose
// data are atomics, so no access is a data race). A reader copies the words between two reads
// of the counter and treats any change, or a writer mid-way (odd counter), as a miss: it never
// waits, it asks libphonenumber. A writer claims a slot by moving its counter from even to odd
// with a compare-and-swap; a writer that loses that race skips the insert (the entry is only a
// cache). Eviction is round-robin within a set (no recency bookkeeping, so a hit writes
// nothing). Capacity is fixed at construction and never grows: memory is bounded whatever the
// traffic. Entries that do not fit a slot (keys over kMaxKeyBytes, an E.164 form over
// kMaxE164Bytes, a region over 3 letters) are not cached.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "core/number_check.h"

namespace sd {

class NumberInfoCache {
 public:
  static constexpr size_t kShards = 16;
  static constexpr size_t kWays = 4;
  // No E.164 number is longer than these ("+" and 15 digits); refusing longer ones keeps a
  // slot at one cache line.
  static constexpr size_t kMaxKeyBytes = 32;
  static constexpr size_t kMaxE164Bytes = 16;

  // `capacity` entries in total, rounded up to a multiple of kShards * kWays (at least one set
  // per shard).
  explicit NumberInfoCache(size_t capacity);

  std::optional<NumberInfo> Find(std::string_view key) const;
  void Insert(std::string_view key, const NumberInfo& info);
  size_t capacity() const { return kShards * sets_per_shard_ * kWays; }

 private:
  // Words: [0..3] key bytes, [4..5] E.164 bytes, [6] key length, E.164 length, region (3
  // bytes), valid, type.
  static constexpr size_t kWords = 7;
  struct alignas(64) Slot {
    std::atomic<uint32_t> seq{0};  // 0: never written; odd: a writer is filling it
    std::array<std::atomic<uint64_t>, kWords> words{};
  };
  struct Shard {
    std::unique_ptr<Slot[]> slots;         // sets_per_shard_ * kWays, fixed after construction
    std::atomic<uint32_t> next_victim{0};  // round-robin way to evict
  };
  using Packed = std::array<uint64_t, kWords>;

  static bool Pack(std::string_view key, const NumberInfo& info, Packed& out);
  static bool KeyMatches(const Packed& p, std::string_view key);
  static NumberInfo Unpack(const Packed& p);
  // A consistent copy of the slot's words, or false when it is empty or being written.
  static bool Read(const Slot& slot, Packed& out);

  size_t sets_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace sd
