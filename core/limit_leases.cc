#include "core/limit_leases.h"

#include <algorithm>
#include <utility>

namespace sd {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

}  // namespace

LeaseBook::Entry* LeaseBook::FindOrAdd(std::string_view value, int64_t now_ms) {
  if (auto it = entries_.find(value); it != entries_.end()) return &it->second;
  if (entries_.size() >= opts_.capacity) {
    // Forget idle values: nothing held, nothing asked, not denied. Such an entry carries no
    // state, so dropping it changes no decision.
    std::erase_if(entries_, [now_ms](const auto& kv) {
      const Entry& e = kv.second;
      return e.balance == 0 && !e.requested && e.denied_until_ms <= now_ms;
    });
    if (entries_.size() >= opts_.capacity) return nullptr;
  }
  return &entries_.emplace(std::string(value), Entry{}).first->second;
}

void LeaseBook::WantLocked(std::string_view value, Entry& e, int64_t units) {
  e.requested = true;
  wants_.push_back(Want{std::string(value), units});
  has_wants_.store(true, std::memory_order_release);
}

void LeaseBook::ExpireLocked(std::string_view value, Entry& e, int64_t now_ms) {
  if (e.balance > 0 && now_ms >= e.expires_ms) {
    expired_.push_back(Want{std::string(value), e.balance});
    counters_.returned_units.fetch_add(static_cast<uint64_t>(e.balance), kRelaxed);
    e.balance = 0;
  }
}

LeaseBook::Verdict LeaseBook::Spend(std::string_view value, int64_t cost, int64_t now_ms,
                                    int64_t lease_units) {
  const int64_t lease = lease_units > 0 ? lease_units : opts_.lease_units;
  std::lock_guard lock(mu_);
  Entry* e = FindOrAdd(value, now_ms);
  if (e == nullptr) {
    counters_.full.fetch_add(1, kRelaxed);
    return {Status::kFull, 0};
  }
  ExpireLocked(value, *e, now_ms);
  const int64_t ceiling = std::max(lease, cost);
  if (e->balance >= cost) {
    e->balance -= cost;
    // Ahead of need: at half a lease left, the next one is asked for, for what refills it.
    if (!e->requested && e->denied_until_ms <= now_ms && e->balance * 2 <= lease) {
      WantLocked(value, *e, ceiling - e->balance);
    }
    return {Status::kSpent, 0};
  }
  if (e->denied_until_ms > now_ms) return {Status::kDenied, e->denied_until_ms, e->unanswered};
  counters_.awaited.fetch_add(1, kRelaxed);
  if (!e->requested) WantLocked(value, *e, ceiling - e->balance);
  return {Status::kAwait, 0};
}

LeaseBook::Verdict LeaseBook::Peek(std::string_view value, int64_t cost, int64_t now_ms) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(value);
  if (it == entries_.end()) return {Status::kAwait, 0};
  const Entry& e = it->second;
  if (e.balance >= cost && now_ms < e.expires_ms) return {Status::kSpent, 0};
  if (e.denied_until_ms > now_ms) return {Status::kDenied, e.denied_until_ms, e.unanswered};
  return {Status::kAwait, 0};
}

void LeaseBook::Refund(std::string_view value, int64_t cost) {
  std::lock_guard lock(mu_);
  // The entry exists: Spend made it and only an idle entry (balance 0, nothing asked) is ever
  // dropped, which a value whose tokens were just spent may be. Then the tokens are simply
  // given back to nobody: stricter, never looser.
  if (auto it = entries_.find(value); it != entries_.end()) it->second.balance += cost;
}

std::vector<LeaseBook::Want> LeaseBook::TakeWants() {
  std::lock_guard lock(mu_);
  has_wants_.store(false, std::memory_order_release);
  counters_.requested.fetch_add(wants_.size(), kRelaxed);
  return std::exchange(wants_, {});
}

void LeaseBook::Granted(std::string_view value, int64_t units, int64_t retry_after_ms,
                        int64_t now_ms) {
  std::lock_guard lock(mu_);
  Entry* e = FindOrAdd(value, now_ms);
  if (units > 0) counters_.granted_units.fetch_add(static_cast<uint64_t>(units), kRelaxed);
  if (e == nullptr) {
    // No room to keep them (cannot happen for a value that asked: a requested entry is never
    // dropped); they go straight back.
    if (units > 0) expired_.push_back(Want{std::string(value), units});
    return;
  }
  e->requested = false;
  e->unanswered = false;
  if (units > 0) {
    e->balance += units;
    e->expires_ms = now_ms + opts_.lease_ms;
    e->denied_until_ms = 0;
    return;
  }
  counters_.denied.fetch_add(1, kRelaxed);
  e->denied_until_ms = now_ms + std::max<int64_t>(retry_after_ms, 1);
}

void LeaseBook::Failed(std::string_view value, int64_t now_ms) {
  std::lock_guard lock(mu_);
  counters_.failed.fetch_add(1, kRelaxed);
  if (auto it = entries_.find(value); it != entries_.end()) {
    it->second.requested = false;
    it->second.unanswered = true;
    it->second.denied_until_ms = now_ms + opts_.fail_ms;
  }
}

std::vector<LeaseBook::Want> LeaseBook::TakeExpired(int64_t now_ms) {
  std::lock_guard lock(mu_);
  for (auto& [value, e] : entries_) ExpireLocked(value, e, now_ms);
  return std::exchange(expired_, {});
}

std::vector<LeaseBook::Want> LeaseBook::TakeAll() {
  std::lock_guard lock(mu_);
  for (auto& [value, e] : entries_) {
    if (e.balance <= 0) continue;
    expired_.push_back(Want{value, e.balance});
    counters_.returned_units.fetch_add(static_cast<uint64_t>(e.balance), kRelaxed);
    e.balance = 0;
  }
  return std::exchange(expired_, {});
}

size_t LeaseBook::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

int64_t LeaseBook::HeldUnits() const {
  std::lock_guard lock(mu_);
  int64_t sum = 0;
  for (const auto& [value, e] : entries_) sum += e.balance;
  return sum;
}

}  // namespace sd
