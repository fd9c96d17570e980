#pragma once
// Everything the admission decision reads, as one immutable value (docs/policy.md, "How it is
// wired"): the signing keys (a key file's ring or the Redis registry's snapshot), the decision
// settings, the number checker, the content scanner and the rate limits. A reload (SIGHUP, a
// registry change) builds a new snapshot and swaps it into a PolicySlot; a decision takes one
// snapshot per batch and never sees half of one reload and half of another.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/content_scan.h"
#include "core/decision_config.h"
#include "core/key_record.h"
#include "core/key_ring.h"
#include "core/number_check.h"
#include "core/rate_limits.h"

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
  std::shared_ptr<const RateLimits> limits;
};

// The scopes of a registry key in the forms the number checker and the content scanner take,
// computed once per snapshot so the per-job path copies no list.
struct DerivedScopes {
  CountryScope countries;
  UrlScope urls;
};
DerivedScopes DeriveScopes(const KeyScopes& s);

class PolicySnapshot {
 public:
  static std::shared_ptr<const PolicySnapshot> Make(PolicyParts parts, uint64_t generation = 0);

  const PolicyParts& parts() const { return parts_; }
  const DecisionConfig& decision() const { return parts_.decision; }
  // Counts reloads (0 for the first snapshot); logged so an operator can tell which is live.
  uint64_t generation() const { return generation_; }
  // The derived scopes of a registry key; nullptr for ids not in the registry.
  const DerivedScopes* ScopesOf(std::string_view key_id) const;
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
};

// The live snapshot: one atomic shared_ptr. Readers Load() without a mutex and keep what they
// loaded alive for as long as they use it; writers replace it whole. Two writers (a SIGHUP
// reload and a registry change) must not lose each other's part, so changes go through
// Update(), a compare-and-swap loop that re-applies the change to whatever is current.
class PolicySlot {
 public:
  explicit PolicySlot(std::shared_ptr<const PolicySnapshot> initial =
                          PolicySnapshot::Make(PolicyParts{}))
      : current_(std::move(initial)) {}
  PolicySlot(const PolicySlot&) = delete;
  PolicySlot& operator=(const PolicySlot&) = delete;

  std::shared_ptr<const PolicySnapshot> Load() const {
    return current_.load(std::memory_order_acquire);
  }
  void Store(std::shared_ptr<const PolicySnapshot> next) {
    current_.store(std::move(next), std::memory_order_release);
  }
  // `change` maps the current parts to the next ones; it may run more than once (when another
  // writer got in between), so it must not have side effects. The generation goes up by one.
  // Returns the snapshot installed.
  std::shared_ptr<const PolicySnapshot> Update(
      const std::function<PolicyParts(const PolicySnapshot&)>& change);

 private:
  std::atomic<std::shared_ptr<const PolicySnapshot>> current_;
};

}  // namespace sd
