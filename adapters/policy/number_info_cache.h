#pragma once
// A bounded cache of what libphonenumber said about a destination string, keyed by the exact
// input. libphonenumber costs tens of microseconds per number (regular expressions over its
// metadata); a busy sender repeats destinations, so the hot path should pay that once.
//
// Concurrency: kShards independent shards, each a fixed array of kWays-way sets guarded by a
// std::shared_mutex. Lookups take the shard lock shared, so readers on worker threads never
// block each other; an insert takes it exclusive for one slot assignment. Eviction is
// round-robin within a set (no recency bookkeeping, so a hit writes nothing). Capacity is fixed
// at construction and never grows: memory is bounded whatever the traffic.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/number_check.h"

namespace sd {

class NumberInfoCache {
 public:
  static constexpr size_t kShards = 16;
  static constexpr size_t kWays = 4;
  // Keys longer than this are not cached (no E.164 number is that long; refusing them keeps
  // slot memory bounded too).
  static constexpr size_t kMaxKeyBytes = 32;

  // `capacity` entries in total, rounded up to a multiple of kShards * kWays (at least one set
  // per shard).
  explicit NumberInfoCache(size_t capacity);

  std::optional<NumberInfo> Find(std::string_view key) const;
  void Insert(std::string_view key, const NumberInfo& info);
  size_t capacity() const { return kShards * sets_per_shard_ * kWays; }

 private:
  struct Slot {
    bool used = false;
    std::string key;
    NumberInfo info;
  };
  struct alignas(64) Shard {
    mutable std::shared_mutex mu;
    std::vector<Slot> slots;   // sets_per_shard_ * kWays, fixed after construction
    uint32_t next_victim = 0;  // round-robin way to evict; written under the exclusive lock
  };

  size_t sets_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace sd
