#pragma once
// The opt-outs a daemon holds (docs/inbound.md): every (scope, number) in Redis' opt-out hash,
// as an immutable value the policy snapshot points at, so the decision asks it without a lock
// or a round trip. Lists imported from a previous provider may hold millions of numbers while
// replies add one at a time, so a change must not copy the whole set: a set is a large sorted
// base shared between versions plus a small sorted overlay of the changes since; a change
// copies the overlay only, and when the overlay outgrows its bound it is merged into a new base
// (linear: both are sorted). Entries are 16 bytes: a keyed hash of the scope and the number as
// an integer, so a million opt-outs take 16 MiB.
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace sd {

struct OptOutKey {
  uint64_t scope = 0;   // ScopeHash(scope)
  uint64_t number = 0;  // NumberCode(E.164)
  friend bool operator<(const OptOutKey& a, const OptOutKey& b) {
    return a.scope != b.scope ? a.scope < b.scope : a.number < b.number;
  }
  friend bool operator==(const OptOutKey& a, const OptOutKey& b) = default;
};

uint64_t ScopeHash(std::string_view scope);
// "+4477..." -> its digits as an integer with the digit count in the top byte (so "+1" and
// "+01" could never meet; E.164 has at most 15 digits). nullopt unless '+' and 1..15 digits.
std::optional<uint64_t> NumberCode(std::string_view e164);
std::optional<OptOutKey> MakeOptOutKey(std::string_view scope, std::string_view e164);

struct OptOutEdit {
  OptOutKey key;
  bool present = true;  // added (true) or removed
};

class OptOutSet {
 public:
  // The overlay is merged into the base beyond max(kMinOverlay, base size / 16) entries.
  static constexpr size_t kMinOverlay = 4096;

  static std::shared_ptr<const OptOutSet> Build(std::vector<OptOutKey> keys);
  // The set after `edits`, applied in order (a later edit of a key wins).
  std::shared_ptr<const OptOutSet> With(const std::vector<OptOutEdit>& edits) const;

  bool Contains(const OptOutKey& key) const;
  size_t size() const { return size_; }
  size_t overlay_size() const { return overlay_.size(); }

 private:
  using Base = std::vector<OptOutKey>;
  std::shared_ptr<const Base> base_ = std::make_shared<Base>();
  std::vector<OptOutEdit> overlay_;  // sorted by key, one edit per key
  size_t size_ = 0;
};

}  // namespace sd
