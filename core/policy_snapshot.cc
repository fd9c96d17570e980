#include "core/policy_snapshot.h"

#include <algorithm>
#include <atomic>
#include <utility>

namespace sd {

DerivedScopes DeriveScopes(const KeyScopes& s) {
  DerivedScopes d;
  d.countries.any = s.countries.empty();
  d.countries.regions = s.countries;
  switch (s.url_policy) {
    case UrlPolicy::kAny:
      d.urls.mode = UrlScope::Mode::kAny;
      break;
    case UrlPolicy::kNone:
      d.urls.mode = UrlScope::Mode::kNone;
      break;
    case UrlPolicy::kAllowlist:
      d.urls.mode = UrlScope::Mode::kAllowlist;
      d.urls.domains = s.url_domains;
      break;
  }
  return d;
}

std::shared_ptr<const PolicySnapshot> PolicySnapshot::Make(PolicyParts parts, uint64_t generation,
                                                           const PolicySnapshot* previous) {
  auto p = std::make_shared<PolicySnapshot>();
  p->parts_ = std::move(parts);
  p->generation_ = generation;
  const MacAlgorithm* mac = p->parts_.mac;
  // File keys first: a registry key of the same id replaces its prepared MAC, as it wins the
  // lookup in the decision.
  if (mac != nullptr && p->parts_.file_keys != nullptr) {
    for (const SigningKey* k : p->parts_.file_keys->All()) {
      if (auto prepared = mac->Prepare(k->secret)) p->prepared_[k->id] = std::move(prepared);
    }
  }
  if (p->parts_.registry_keys != nullptr) {
    for (const RegisteredKey* k : p->parts_.registry_keys->All()) {
      DerivedScopes d = DeriveScopes(k->record.scopes);
      const KeyScopes& ks = k->record.scopes;
      if (ks.rate_per_s > 0) {
        // Validated by ValidateKeyRecord; a spec MakeGcraParams refuses leaves the key without
        // a rate of its own rather than failing the whole registry here.
        // No burst given: a second's worth.
        const int64_t burst = ks.burst > 0 ? ks.burst : ks.rate_per_s;
        Result<GcraParams> params = MakeGcraParams(RateSpec{ks.rate_per_s, 1000, burst});
        if (params) {
          // The family's time: from an earlier version in this snapshot, else the previous
          // snapshot's (a rebuild, a rotation), else a new, idle one.
          const std::string_view family = KeyFamily(k->record.id);
          auto [it, added] = p->family_tats_.try_emplace(std::string(family));
          if (added && previous != nullptr) {
            auto prev = previous->family_tats_.find(family);
            if (prev != previous->family_tats_.end()) it->second = prev->second;
          }
          if (it->second == nullptr) it->second = std::make_shared<std::atomic<int64_t>>(0);
          const DerivedScopes* old =
              previous != nullptr ? previous->ScopesOf(k->record.id) : nullptr;
          if (old != nullptr && old->rate != nullptr && old->rate->tat == it->second &&
              old->rate->params.emission_ns == params->emission_ns &&
              old->rate->params.burst == params->burst) {
            d.rate = old->rate;
          } else {
            // A changed rate keeps the family's time: an exhausted key stays exhausted.
            d.rate = std::make_shared<KeyRateBucket>();
            d.rate->params = *params;
            d.rate->description = "key '" + k->record.id + "' rate limit (" +
                                  std::to_string(ks.rate_per_s) + "/s, burst " +
                                  std::to_string(burst) + ")";
            d.rate->tat = it->second;
          }
        }
      }
      p->scopes_.emplace(k->record.id, std::move(d));
      if (mac != nullptr) {
        if (auto prepared = mac->Prepare(k->record.secret)) {
          p->prepared_[k->record.id] = std::move(prepared);
        }
      }
    }
  }
  return p;
}

const DerivedScopes* PolicySnapshot::ScopesOf(std::string_view key_id) const {
  auto it = scopes_.find(key_id);
  return it == scopes_.end() ? nullptr : &it->second;
}

const PreparedMac* PolicySnapshot::PreparedKeyOf(std::string_view key_id) const {
  auto it = prepared_.find(key_id);
  return it == prepared_.end() ? nullptr : it->second.get();
}

const DerivedScopes& PolicySnapshot::AnyScopes() {
  static const DerivedScopes kAny;  // CountryScope{any} and UrlScope{kAny}
  return kAny;
}

// The shared_ptr overloads of the atomic free functions are deprecated in C++20 (for
// std::atomic<std::shared_ptr>, which GCC 12 gets wrong; see the header). They stay here, in
// one place, until the toolchain moves on.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

std::shared_ptr<const PolicySnapshot> PolicySlot::Load() const {
  return std::atomic_load_explicit(&current_, std::memory_order_acquire);
}

void PolicySlot::Store(std::shared_ptr<const PolicySnapshot> next) {
  std::atomic_store_explicit(&current_, std::move(next), std::memory_order_release);
  version_.fetch_add(1, std::memory_order_release);
}

std::shared_ptr<const PolicySnapshot> PolicySlot::Update(
    const std::function<PolicyParts(const PolicySnapshot&)>& change) {
  std::shared_ptr<const PolicySnapshot> cur = Load();
  for (;;) {
    std::shared_ptr<const PolicySnapshot> next =
        PolicySnapshot::Make(change(*cur), cur->generation() + 1, cur.get());
    if (std::atomic_compare_exchange_weak_explicit(&current_, &cur, next, std::memory_order_acq_rel,
                                                   std::memory_order_acquire)) {
      version_.fetch_add(1, std::memory_order_release);
      return next;
    }
    // `cur` now holds what another writer installed: apply the change to that instead.
  }
}

#pragma GCC diagnostic pop

const std::shared_ptr<const PolicySnapshot>& PolicySlot::Reader::Current() {
  const uint64_t v = slot_.version_.load(std::memory_order_acquire);
  if (v != seen_) {
    cached_ = slot_.Load();
    seen_ = v;
  }
  return cached_;
}

}  // namespace sd
