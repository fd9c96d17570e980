#pragma once
// The last check before a job goes on the wire. A carrier queues a job's parts until its
// window and pace let them out (seconds, at a low TPS), so what the Dispatcher checked before
// Submit() can be stale by then: a key revoked, a job expired meanwhile. The carrier asks this
// gate again at the moment the job's first part is about to be written (docs/keys.md,
// docs/jobs.md). Set once on a carrier (Carrier::SetSubmitGate), not a callback per job.
#include <cstdint>
#include <string_view>

#include "core/job.h"
#include "core/quiet_hours.h"
#include "core/reason.h"

namespace sd {

// Whether a job may still be sent. reason kNone: send it; kExpired: its `expires` has passed;
// kRevokedKey: its key was revoked or removed since it was admitted; kPumpingSuspected: its
// destination prefix was blocked since (core/block_list.h); kOptedOut: its recipient wrote
// STOP since (core/optout.h); kQuietHours: the recipient's night began while the job waited
// (core/quiet_hours.h). `detail` is static text for the outcome ("key revoked after the job
// was admitted"), never null.
struct GateVerdict {
  Reason reason = Reason::kNone;
  const char* detail = "";
  // kQuietHours: when they end, before the job expires: the job is to wait in the delay queue
  // until then, not be refused. 0: refused (they outlast the job).
  int64_t retry_at_ms = 0;

  bool send() const { return reason == Reason::kNone; }
};

// The job a gate is asked about: what its checks read.
struct GateQuery {
  std::string_view key_id;
  std::string_view destination;
  std::string_view sender;
  JobKind kind = JobKind::kTransactional;
  int64_t expires_ms = 0;
  ZoneSet zones = kNoZones;  // the recipient's time zones (Admitted::zones)
};

class SubmitGate {
 public:
  virtual ~SubmitGate() = default;
  // Called on the loop thread for every job about to be written, so it must be cheap: one
  // lookup of the key id in the current policy snapshot, of the destination in its blocks and
  // opt-outs, one clock read, and the zones' offsets when quiet hours apply to the kind (cached
  // per minute). Never blocks.
  virtual GateVerdict Check(const GateQuery& job) = 0;
};

}  // namespace sd
