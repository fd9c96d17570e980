#include "core/usage_tally.h"

#include <cstdio>

namespace sd {
namespace {

constexpr char kSep = '\x1f';

// Days since the epoch to a civil date (Howard Hinnant's algorithm, proleptic Gregorian).
void CivilFromDays(int64_t z, int* y, unsigned* m, unsigned* d) {
  z += 719'468;
  const int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const auto doe = static_cast<unsigned>(z - era * 146'097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int>(static_cast<int64_t>(yoe) + era * 400 + (*m <= 2 ? 1 : 0));
}

}  // namespace

std::string UsageDay(int64_t ms) {
  int y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(ms / 86'400'000, &y, &m, &d);
  char buf[40];  // room for any int year, so -O2's format-truncation check is satisfied
  std::snprintf(buf, sizeof buf, "%04d%02u%02u", y, m, d);
  return buf;
}

void UsageTally::Count(std::string_view key_id, int64_t now_ms, std::string_view field) {
  if (now_ms / 86'400'000 != day_number_) {
    day_number_ = now_ms / 86'400'000;
    day_ = UsageDay(now_ms);
  }
  std::string k;
  k.reserve(key_id.size() + field.size() + 10);
  k.append(key_id).push_back(kSep);
  k.append(day_).push_back(kSep);
  k.append(field);
  auto it = counts_.find(k);
  if (it != counts_.end()) {
    ++it->second;
    return;
  }
  if (counts_.size() >= max_entries_) {
    ++dropped_;
    return;
  }
  counts_.emplace(std::move(k), 1);
}

std::vector<UsageDelta> UsageTally::Drain() {
  std::vector<UsageDelta> out;
  out.reserve(counts_.size());
  for (auto& [k, n] : counts_) {
    const size_t a = k.find(kSep);
    const size_t b = k.find(kSep, a + 1);
    out.push_back(UsageDelta{k.substr(0, a), k.substr(a + 1, b - a - 1), k.substr(b + 1), n});
  }
  counts_.clear();
  return out;
}

}  // namespace sd
