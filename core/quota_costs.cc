#include "core/quota_costs.h"

#include <algorithm>
#include <limits>

namespace sd {

bool ValidRegionCode(std::string_view region) {
  if (region == "001") return true;
  return region.size() == 2 && region[0] >= 'A' && region[0] <= 'Z' && region[1] >= 'A' &&
         region[1] <= 'Z';
}

QuotaCosts::QuotaCosts(std::vector<QuotaCost> entries) : entries_(std::move(entries)) {}

// A linear scan: a price list has tens of entries, and a job looks up at most four pairs.
std::optional<int64_t> QuotaCosts::Find(std::string_view region, std::string_view carrier) const {
  for (const QuotaCost& c : entries_) {
    if (c.country == region && c.carrier == carrier) return c.per_segment;
  }
  return std::nullopt;
}

int64_t QuotaCosts::UnitsFor(std::string_view region, std::string_view carrier,
                             int64_t segments) const {
  std::optional<int64_t> per = std::nullopt;
  if (!region.empty() && !carrier.empty()) per = Find(region, carrier);
  if (!per && !region.empty()) per = Find(region, "");
  if (!per && !carrier.empty()) per = Find("", carrier);
  if (!per) per = Find("", "");
  const int64_t unit = std::max<int64_t>(per.value_or(1), 1);
  if (segments <= 0) return 0;
  // per_segment <= 1e6 and segments are small, but never wrap whatever the caller passes.
  if (segments > std::numeric_limits<int64_t>::max() / unit) {
    return std::numeric_limits<int64_t>::max();
  }
  return segments * unit;
}

}  // namespace sd
