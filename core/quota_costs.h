#pragma once
// What a job costs against the segment quotas (docs/limits.md, "Budgets"): by default one unit
// per segment, so a quota counts segments. With [[quota_cost]] entries a segment costs what its
// destination country and carrier cost, in units the operator chooses (tenths of a cent, say),
// and a quota becomes a budget in those units.
//
// The most specific entry wins: country and carrier, then country alone, then carrier alone,
// then the entry with neither (the default). A job that matches none costs one unit per
// segment. The carrier is the job's first choice on its route when it is decided: a failover
// to another carrier later is not priced again.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sd {

struct QuotaCost {
  std::string country;      // region code as numbers resolve ("DE", "001"); "" = any
  std::string carrier;      // a [[carrier]] name; "" = any
  int64_t per_segment = 1;  // units, 1 to kMaxQuotaCostPerSegment
  bool operator==(const QuotaCost&) const = default;
};

inline constexpr int64_t kMaxQuotaCostPerSegment = 1'000'000;
inline constexpr size_t kMaxQuotaCosts = 10'000;

// A region code as the number library names countries: two capital letters, or "001".
bool ValidRegionCode(std::string_view region);

class QuotaCosts {
 public:
  // Entries as the config lists them; at most one per (country, carrier) pair (the loader
  // refuses duplicates).
  explicit QuotaCosts(std::vector<QuotaCost> entries);

  // The units `segments` segments to `region` over `carrier` cost (never negative; saturates
  // far above any quota).
  int64_t UnitsFor(std::string_view region, std::string_view carrier, int64_t segments) const;
  const std::vector<QuotaCost>& entries() const { return entries_; }

 private:
  std::optional<int64_t> Find(std::string_view region, std::string_view carrier) const;
  std::vector<QuotaCost> entries_;
};

}  // namespace sd
