#include "adapters/policy/number_info_cache.h"

#include <functional>
#include <mutex>

namespace sd {

NumberInfoCache::NumberInfoCache(size_t capacity)
    : sets_per_shard_(std::max<size_t>(1, (capacity + kShards * kWays - 1) / (kShards * kWays))) {
  for (Shard& s : shards_) s.slots.resize(sets_per_shard_ * kWays);
}

std::optional<NumberInfo> NumberInfoCache::Find(std::string_view key) const {
  if (key.size() > kMaxKeyBytes) return std::nullopt;
  const size_t h = std::hash<std::string_view>{}(key);
  const Shard& s = shards_[h % kShards];
  const size_t base = ((h / kShards) % sets_per_shard_) * kWays;
  std::shared_lock lock(s.mu);
  for (size_t w = 0; w < kWays; ++w) {
    const Slot& slot = s.slots[base + w];
    if (slot.used && slot.key == key) return slot.info;
  }
  return std::nullopt;
}

void NumberInfoCache::Insert(std::string_view key, const NumberInfo& info) {
  if (key.size() > kMaxKeyBytes) return;
  const size_t h = std::hash<std::string_view>{}(key);
  Shard& s = shards_[h % kShards];
  const size_t base = ((h / kShards) % sets_per_shard_) * kWays;
  std::unique_lock lock(s.mu);
  Slot* target = nullptr;
  for (size_t w = 0; w < kWays; ++w) {
    Slot& slot = s.slots[base + w];
    if (slot.used && slot.key == key) return;  // another thread got here first
    if (!slot.used && target == nullptr) target = &slot;
  }
  if (target == nullptr) target = &s.slots[base + (s.next_victim++ % kWays)];
  target->used = true;
  target->key.assign(key);
  target->info = info;
}

}  // namespace sd
