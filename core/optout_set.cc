#include "core/optout_set.h"

#include <algorithm>

#include "core/siphash.h"

namespace sd {
namespace {

// Fixed: every daemon must hash a scope the same way, and the hash names nothing secret. A
// collision of two scopes' hashes could only refuse a job wrongly (never let one through), and
// needs 2^32 scopes to be likely.
constexpr SipKey kScopeKey{0x6f70746f75747321ULL, 0x73636f7065686173ULL};

bool KeyLess(const OptOutEdit& e, const OptOutKey& k) { return e.key < k; }

// `edits` sorted by key with one per key (the last of each run of equal keys kept).
std::vector<OptOutEdit> Normalize(std::vector<OptOutEdit> edits) {
  std::stable_sort(edits.begin(), edits.end(),
                   [](const OptOutEdit& a, const OptOutEdit& b) { return a.key < b.key; });
  std::vector<OptOutEdit> out;
  out.reserve(edits.size());
  for (OptOutEdit& e : edits) {
    if (!out.empty() && out.back().key == e.key) {
      out.back() = e;
    } else {
      out.push_back(e);
    }
  }
  return out;
}

}  // namespace

uint64_t ScopeHash(std::string_view scope) { return SipHash24(kScopeKey, scope); }

std::optional<uint64_t> NumberCode(std::string_view e164) {
  if (e164.size() < 2 || e164.size() > 16 || e164[0] != '+') return std::nullopt;
  uint64_t v = 0;
  for (char c : e164.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v | (static_cast<uint64_t>(e164.size() - 1) << 56);
}

std::optional<OptOutKey> MakeOptOutKey(std::string_view scope, std::string_view e164) {
  std::optional<uint64_t> n = NumberCode(e164);
  if (!n) return std::nullopt;
  return OptOutKey{ScopeHash(scope), *n};
}

std::shared_ptr<const OptOutSet> OptOutSet::Build(std::vector<OptOutKey> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  auto set = std::make_shared<OptOutSet>();
  set->size_ = keys.size();
  set->base_ = std::make_shared<const Base>(std::move(keys));
  return set;
}

bool OptOutSet::Contains(const OptOutKey& key) const {
  auto o = std::lower_bound(overlay_.begin(), overlay_.end(), key, KeyLess);
  if (o != overlay_.end() && o->key == key) return o->present;
  return std::binary_search(base_->begin(), base_->end(), key);
}

std::shared_ptr<const OptOutSet> OptOutSet::With(const std::vector<OptOutEdit>& edits) const {
  // The new overlay: the old one merged with the edits, the edits winning on equal keys.
  const std::vector<OptOutEdit> incoming = Normalize(edits);
  std::vector<OptOutEdit> overlay;
  overlay.reserve(overlay_.size() + incoming.size());
  std::merge(incoming.begin(), incoming.end(), overlay_.begin(), overlay_.end(),
             std::back_inserter(overlay),
             [](const OptOutEdit& a, const OptOutEdit& b) { return a.key < b.key; });
  // std::merge keeps the first range's element first among equals: keep that one.
  overlay.erase(
      std::unique(overlay.begin(), overlay.end(),
                  [](const OptOutEdit& a, const OptOutEdit& b) { return a.key == b.key; }),
      overlay.end());
  auto next = std::make_shared<OptOutSet>();
  // An overlay entry that says what the base already says is dropped, so size_ stays exact.
  size_t added = 0, removed = 0;
  std::vector<OptOutEdit> kept;
  kept.reserve(overlay.size());
  for (const OptOutEdit& e : overlay) {
    const bool in_base = std::binary_search(base_->begin(), base_->end(), e.key);
    if (in_base == e.present) continue;
    ++(e.present ? added : removed);
    kept.push_back(e);
  }
  next->size_ = base_->size() + added - removed;
  if (kept.size() <= std::max(kMinOverlay, base_->size() / 16)) {
    next->base_ = base_;
    next->overlay_ = std::move(kept);
    return next;
  }
  Base merged;
  merged.reserve(next->size_);
  auto o = kept.begin();
  for (const OptOutKey& k : *base_) {
    for (; o != kept.end() && o->key < k; ++o) {
      if (o->present) merged.push_back(o->key);
    }
    if (o != kept.end() && o->key == k) {
      ++o;  // kept entries differ from the base: this one removes k
      continue;
    }
    merged.push_back(k);
  }
  for (; o != kept.end(); ++o) {
    if (o->present) merged.push_back(o->key);
  }
  next->base_ = std::make_shared<const Base>(std::move(merged));
  return next;
}

}  // namespace sd
