#include "adapters/redis/audit_burst.h"

#include <algorithm>

namespace sd::redis {

AuditBurstDetector::AuditBurstDetector(int64_t window_ms, int64_t threshold)
    : window_ms_(std::max<int64_t>(window_ms, 1)), threshold_(threshold) {}

void AuditBurstDetector::Expire(PerReason& r, int64_t now_ms) const {
  while (!r.times.empty() && r.times.front() <= now_ms - window_ms_) r.times.pop_front();
}

bool AuditBurstDetector::Record(std::string_view reason, int64_t now_ms) {
  if (threshold_ <= 0) return false;
  auto it = reasons_.find(reason);
  if (it == reasons_.end()) it = reasons_.emplace(std::string(reason), PerReason{}).first;
  PerReason& r = it->second;
  Expire(r, now_ms);
  // Down to half the threshold: the burst is over and the next crossing alerts anew. (Half, not
  // the threshold itself, so a rate hovering at the threshold does not alert on every event.)
  if (static_cast<int64_t>(r.times.size()) <= threshold_ / 2) r.in_burst = false;
  r.times.push_back(now_ms);
  if (static_cast<int64_t>(r.times.size()) > threshold_ + 1) r.times.pop_front();
  if (static_cast<int64_t>(r.times.size()) > threshold_ && !r.in_burst) {
    r.in_burst = true;
    return true;
  }
  return false;
}

size_t AuditBurstDetector::Count(std::string_view reason, int64_t now_ms) {
  auto it = reasons_.find(reason);
  if (it == reasons_.end()) return 0;
  Expire(it->second, now_ms);
  return it->second.times.size();
}

}  // namespace sd::redis
