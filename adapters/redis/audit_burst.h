#pragma once
// Alerts on bursts of audit events: counts events per reason in a sliding window and says when
// a reason crosses the threshold (once per burst, again only after it fell to half). Socket-free
// and clock-free: the caller passes the time, so tests drive it with made-up times.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>

namespace sd::redis {

class AuditBurstDetector {
 public:
  // More than `threshold` events of one reason within `window_ms` is a burst. threshold <= 0
  // turns detection off.
  AuditBurstDetector(int64_t window_ms, int64_t threshold);

  // Records one event of `reason` at `now_ms` (monotonic or wall, but never going back).
  // True when this event starts a burst for that reason.
  [[nodiscard]] bool Record(std::string_view reason, int64_t now_ms);
  // Events of `reason` in the window ending at `now_ms` (capped at threshold + 1).
  size_t Count(std::string_view reason, int64_t now_ms);

 private:
  struct PerReason {
    // Times of the latest events, at most threshold + 1 of them: enough to tell "more than
    // threshold", so a flood costs no more memory than a burst. Reasons are a closed set
    // (core/reason.h), so the map stays small.
    std::deque<int64_t> times;
    bool in_burst = false;  // alerted; cleared once the window holds half the threshold
  };
  void Expire(PerReason& r, int64_t now_ms) const;

  int64_t window_ms_;
  int64_t threshold_;
  std::map<std::string, PerReason, std::less<>> reasons_;
};

}  // namespace sd::redis
