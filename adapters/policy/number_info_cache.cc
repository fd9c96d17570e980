#include "adapters/policy/number_info_cache.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace sd {
namespace {

void PutBytes(uint64_t* words, std::string_view bytes) {
  char buf[sizeof(uint64_t) * 4] = {};
  std::memcpy(buf, bytes.data(), bytes.size());
  std::memcpy(words, buf, (bytes.size() + 7) / 8 * 8);
}

}  // namespace

NumberInfoCache::NumberInfoCache(size_t capacity)
    : sets_per_shard_(std::max<size_t>(1, (capacity + kShards * kWays - 1) / (kShards * kWays))) {
  for (Shard& s : shards_) s.slots = std::make_unique<Slot[]>(sets_per_shard_ * kWays);
}

bool NumberInfoCache::Pack(std::string_view key, const NumberInfo& info, Packed& out) {
  if (key.size() > kMaxKeyBytes || info.e164.size() > kMaxE164Bytes || info.region.size() > 3) {
    return false;
  }
  out.fill(0);
  PutBytes(&out[0], key);
  PutBytes(&out[4], info.e164);
  uint64_t meta = key.size() | (info.e164.size() << 8);
  for (size_t i = 0; i < info.region.size(); ++i) {
    meta |= uint64_t{static_cast<unsigned char>(info.region[i])} << (16 + 8 * i);
  }
  meta |= uint64_t{info.valid ? 1u : 0u} << 40;
  meta |= uint64_t{static_cast<uint8_t>(info.type)} << 48;
  out[6] = meta;
  return true;
}

bool NumberInfoCache::KeyMatches(const Packed& p, std::string_view key) {
  if ((p[6] & 0xFF) != key.size()) return false;
  return std::memcmp(p.data(), key.data(), key.size()) == 0;
}

NumberInfo NumberInfoCache::Unpack(const Packed& p) {
  NumberInfo info;
  const uint64_t meta = p[6];
  info.e164.assign(reinterpret_cast<const char*>(&p[4]), (meta >> 8) & 0xFF);
  for (size_t i = 0; i < 3; ++i) {
    const char c = static_cast<char>((meta >> (16 + 8 * i)) & 0xFF);
    if (c == 0) break;
    info.region.push_back(c);
  }
  info.valid = ((meta >> 40) & 1) != 0;
  info.type = static_cast<NumberType>((meta >> 48) & 0xFF);
  return info;
}

bool NumberInfoCache::Read(const Slot& slot, Packed& out) {
  const uint32_t before = slot.seq.load(std::memory_order_acquire);
  if (before == 0 || (before & 1) != 0) return false;
  // Acquire loads (no fence: ThreadSanitizer does not model fences): the second counter read
  // cannot move before them, and a word a writer stored makes that writer's odd counter
  // visible to it, so a copy mixed with a writer's words is thrown away. Free on x86.
  for (size_t i = 0; i < kWords; ++i) out[i] = slot.words[i].load(std::memory_order_acquire);
  return slot.seq.load(std::memory_order_relaxed) == before;
}

std::optional<NumberInfo> NumberInfoCache::Find(std::string_view key) const {
  if (key.size() > kMaxKeyBytes) return std::nullopt;
  const size_t h = std::hash<std::string_view>{}(key);
  const Shard& s = shards_[h % kShards];
  const size_t base = ((h / kShards) % sets_per_shard_) * kWays;
  Packed p;
  for (size_t w = 0; w < kWays; ++w) {
    if (Read(s.slots[base + w], p) && KeyMatches(p, key)) return Unpack(p);
  }
  return std::nullopt;
}

void NumberInfoCache::Insert(std::string_view key, const NumberInfo& info) {
  Packed packed;
  if (!Pack(key, info, packed)) return;
  const size_t h = std::hash<std::string_view>{}(key);
  Shard& s = shards_[h % kShards];
  const size_t base = ((h / kShards) % sets_per_shard_) * kWays;
  Slot* target = nullptr;
  Packed p;
  for (size_t w = 0; w < kWays; ++w) {
    Slot& slot = s.slots[base + w];
    if (Read(slot, p) && KeyMatches(p, key)) return;  // another thread got here first
    if (target == nullptr && slot.seq.load(std::memory_order_relaxed) == 0) target = &slot;
  }
  if (target == nullptr) {
    const uint32_t victim = s.next_victim.fetch_add(1, std::memory_order_relaxed);
    target = &s.slots[base + victim % kWays];
  }
  uint32_t seq = target->seq.load(std::memory_order_relaxed);
  if ((seq & 1) != 0) return;  // another writer is filling it
  // acq_rel: the words' stores cannot move before the claim, and each is a release, so a
  // reader that sees one of them also sees the odd counter on its second read.
  if (!target->seq.compare_exchange_strong(seq, seq + 1, std::memory_order_acq_rel,
                                           std::memory_order_relaxed)) {
    return;
  }
  for (size_t i = 0; i < kWords; ++i) target->words[i].store(packed[i], std::memory_order_release);
  target->seq.store(seq + 2, std::memory_order_release);
}

}  // namespace sd
