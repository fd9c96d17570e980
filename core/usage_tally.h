#pragma once
// Per-key, per-day usage counters for `smsdispatch keys report` (docs/keys.md, "Key audit"):
// counted in memory on the loop thread and written out in one batch per stats interval, so a
// job costs a hash-map increment, never a Redis command. Bounded: past max_entries distinct
// (key, day, field) counters, new ones are dropped and counted in dropped().
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sd {

struct UsageDelta {
  std::string key_id;
  std::string day;  // "YYYYMMDD", UTC
  std::string field;  // "outcome:submitted", "outcome:rejected:<reason>", "kind:otp", ...
  uint64_t count = 0;
};

// "YYYYMMDD" (UTC) of ms since the epoch.
std::string UsageDay(int64_t ms);

class UsageTally {
 public:
  explicit UsageTally(size_t max_entries = 100'000) : max_entries_(max_entries) {}
  void Count(std::string_view key_id, int64_t now_ms, std::string_view field);
  // Everything counted since the last Drain, and forgets it.
  std::vector<UsageDelta> Drain();
  uint64_t dropped() const { return dropped_; }

 private:
  size_t max_entries_;
  // The day of the last Count, formatted once per day rather than once per job.
  int64_t day_number_ = -1;
  std::string day_;
  // "<key id>\x1f<day>\x1f<field>" -> count: key ids, days and fields never hold \x1f.
  std::unordered_map<std::string, uint64_t> counts_;
  uint64_t dropped_ = 0;
};

}  // namespace sd
