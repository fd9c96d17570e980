// The dispatcher's part of the fleet-wide rate limits (docs/limits.md, "Fleet-wide limits"):
// an entry whose global limit has no leased tokens here yet waits in memory, still pending in
// Redis, while the lease agent asks the shared bucket; then it is decided again from the
// start, as of then (a key revoked meanwhile refuses it).
#include <spdlog/spdlog.h>

#include "daemon/lib/dispatcher.h"

namespace sd {

bool Dispatcher::HoldForLease(StreamEntry& entry, Decision& d) {
  if (!lease_kick_) {
    d.result = Error{Reason::kUnavailable, "a fleet-wide rate limit and no lease agent"};
    return false;
  }
  ++stats_.lease_waits;
  awaiting_lease_.push_back(std::move(entry));
  return true;
}

void Dispatcher::KickLeases(const PolicySnapshot& policy) {
  if (!lease_kick_) return;
  const RateLimits* limits = policy.parts().limits.get();
  const Quotas* quotas = policy.parts().quotas.get();
  if ((limits != nullptr && limits->WantsLeases()) ||
      (quotas != nullptr && quotas->book().HasWants())) {
    lease_kick_();
  }
}

void Dispatcher::SetQuotas(std::shared_ptr<const Quotas> quotas) {
  policy_.Update([&quotas](const PolicySnapshot& cur) {
    PolicyParts next = cur.parts();
    next.quotas = std::move(quotas);
    return next;
  });
}

void Dispatcher::LeasesAnswered() {
  if (awaiting_lease_.empty() || stopping_) return;
  std::vector<StreamEntry> again = std::move(awaiting_lease_);
  awaiting_lease_.clear();
  spdlog::debug("leases answered: deciding {} held entries again", again.size());
  // OnBatch counts entries in as they arrive; these were counted when they were first read.
  inflight_ -= again.size();
  stats_.entries -= again.size();
  OnBatch(std::move(again));
}

}  // namespace sd
