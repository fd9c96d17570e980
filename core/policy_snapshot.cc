#include "core/policy_snapshot.h"

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

std::shared_ptr<const PolicySnapshot> PolicySnapshot::Make(PolicyParts parts,
                                                           uint64_t generation) {
  auto p = std::make_shared<PolicySnapshot>();
  p->parts_ = std::move(parts);
  p->generation_ = generation;
  if (p->parts_.registry_keys != nullptr) {
    for (const RegisteredKey* k : p->parts_.registry_keys->All()) {
      p->scopes_.emplace(k->record.id, DeriveScopes(k->record.scopes));
    }
  }
  return p;
}

const DerivedScopes* PolicySnapshot::ScopesOf(std::string_view key_id) const {
  auto it = scopes_.find(key_id);
  return it == scopes_.end() ? nullptr : &it->second;
}

const DerivedScopes& PolicySnapshot::AnyScopes() {
  static const DerivedScopes kAny;  // CountryScope{any} and UrlScope{kAny}
  return kAny;
}

std::shared_ptr<const PolicySnapshot> PolicySlot::Update(
    const std::function<PolicyParts(const PolicySnapshot&)>& change) {
  std::shared_ptr<const PolicySnapshot> cur = Load();
  for (;;) {
    std::shared_ptr<const PolicySnapshot> next = PolicySnapshot::Make(change(*cur),
                                                                      cur->generation() + 1);
    if (current_.compare_exchange_weak(cur, next, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
      return next;
    }
    // `cur` now holds what another writer installed: apply the change to that instead.
  }
}

}  // namespace sd
