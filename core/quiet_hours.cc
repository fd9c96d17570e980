#include "core/quiet_hours.h"

#include <algorithm>

namespace sd {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int kDayMin = 1440;
constexpr int kSearchDays = 2;

int FloorMod(int64_t a, int64_t m) { return static_cast<int>(((a % m) + m) % m); }

bool InWindow(int local_min, const QuietRule& r) {
  if (r.start_min == r.end_min) return false;
  return r.start_min < r.end_min ? local_min >= r.start_min && local_min < r.end_min
                                 : local_min >= r.start_min || local_min < r.end_min;
}

// Minute of the local day at `utc_ms` for a clock `offset_min` ahead of UTC.
int LocalMinute(int64_t utc_ms, int offset_min) {
  const int64_t utc_min = utc_ms >= 0 ? utc_ms / kMinuteMs : (utc_ms - kMinuteMs + 1) / kMinuteMs;
  return FloorMod(utc_min + offset_min, kDayMin);
}

bool QuietAt(const LocalTimes& times, ZoneSet zones, int64_t t, const QuietRule& r,
             std::vector<int>* scratch) {
  times.OffsetsAt(zones, t, scratch);
  return std::any_of(scratch->begin(), scratch->end(),
                     [&](int off) { return InWindow(LocalMinute(t, off), r); });
}

}  // namespace

std::optional<int> ParseClockTime(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  for (size_t i : {0, 1, 3, 4}) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  }
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

QuietVerdict QuietHours::Check(JobKind kind, ZoneSet zones, int64_t now_ms) const {
  QuietVerdict v;
  if (times_ == nullptr || zones == kNoZones) return v;
  std::vector<int> offsets;
  for (const QuietRule& r : rules_) {
    if ((r.kinds & (1u << static_cast<int>(kind))) == 0) continue;
    times_->OffsetsAt(zones, now_ms, &offsets);
    if (offsets.empty()) return v;  // unknown zone: not held (docs/policy.md)
    const std::vector<int> now_offsets = offsets;
    if (!QuietAt(*times_, zones, now_ms, r, &offsets)) continue;
    v.rule = &r;
    // Candidates: each zone's window end, today and on the following days, on the minute;
    // each corrected by that zone's offset at the candidate itself (a DST change meanwhile).
    const int64_t minute0 = now_ms - FloorMod(now_ms, kMinuteMs);
    std::vector<int64_t> candidates;
    for (size_t z = 0; z < now_offsets.size(); ++z) {
      const int wait = FloorMod(r.end_min - LocalMinute(now_ms, now_offsets[z]), kDayMin);
      for (int day = 0; day <= kSearchDays; ++day) {
        int64_t c = minute0 + (int64_t{wait} + int64_t{day} * kDayMin) * kMinuteMs;
        times_->OffsetsAt(zones, c, &offsets);
        if (z < offsets.size()) c -= int64_t{offsets[z] - now_offsets[z]} * kMinuteMs;
        if (c > now_ms) candidates.push_back(c);
      }
    }
    std::sort(candidates.begin(), candidates.end());
    for (int64_t c : candidates) {
      if (!QuietAt(*times_, zones, c, r, &offsets)) {
        v.opens_ms = c;
        return v;
      }
    }
    return v;  // no instant in reach is outside every zone's window
  }
  return v;
}

}  // namespace sd
