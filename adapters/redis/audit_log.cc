// RedisJobStore as AuditSink: each event is one XADD (through kAuditScript, so it shares the
// ordered, retried write queue with claims and commits). The bound: while Redis is away the
// queue grows only to audit_queue_max events; beyond that the oldest queued event is dropped
// and counted, so a flood of rejections (a brute-forced key) never costs the daemon's memory.
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "adapters/redis/lua_scripts.h"
#include "adapters/redis/redis_job_store.h"
#include "adapters/untrusted_log.h"

namespace sd::redis {

void RedisJobStore::Emit(AuditEvent ev) {
  std::string reason(ReasonName(ev.reason));
  if (reason.empty()) reason = "none";
  if (audit_bursts_.Record(reason, static_cast<int64_t>(uv_now(loop_)))) {
    ++counters_.audit_bursts;
    spdlog::warn(
        "audit: burst of '{}' events: more than {} in a minute (latest: {} entry {} key '{}')",
        reason, options_.audit_burst_per_minute, ev.action, Untrusted(ev.entry_id),
        Untrusted(ev.key_id));
  }
  WriteOp op;
  op.script = &kAuditScript;
  op.audit = true;  // Enqueue sets its completion and applies the bound
  op.keys = {options_.audit_stream};
  op.args = {std::to_string(std::max<int64_t>(options_.audit_maxlen, 0)),
             "reason",
             std::move(reason),
             "action",
             std::move(ev.action),
             "entry",
             std::move(ev.entry_id),
             "job",
             std::move(ev.job_id),
             "kid",
             std::move(ev.key_id),
             "dest",
             std::move(ev.destination),
             "detail",
             std::move(ev.detail),
             "ts",
             std::to_string(ev.ts_ms)};
  EnqueueInOrder(std::move(op));
}

void RedisJobStore::EnqueueInOrder(WriteOp op) {
  // Commits of this loop turn wait in pending_writes_ to leave as one batch on the next turn:
  // a write issued after them (or after receipts) queues behind them there, so it cannot
  // overtake them, e.g. an audit event the outcome it explains.
  if (!pending_writes_.empty()) {
    PendingWrite w;
    w.op = std::move(op);
    pending_writes_.push_back(std::move(w));
    return;
  }
  Enqueue(std::move(op));
}

void RedisJobStore::OnAuditQueued(uint64_t seq) {
  audit_seqs_.push_back(seq);
  if (audit_seqs_.size() <= std::max<size_t>(options_.audit_queue_max, 1)) return;
  // Drop the oldest event still waiting in the queue; the ones before it are on the wire
  // (their reply is due; if the connection is lost they return to the queue and the next
  // event's bound check may drop them).
  for (auto it = audit_seqs_.begin(); it != audit_seqs_.end(); ++it) {
    auto q = queue_.find(*it);
    if (q == queue_.end()) continue;
    queue_.erase(q);
    audit_seqs_.erase(it);
    ++counters_.audit_dropped;
    if (!audit_drop_logged_) {
      audit_drop_logged_ = true;
      spdlog::warn(
          "audit: {} events waiting for Redis; dropping the oldest (counted in "
          "audit_dropped)",
          options_.audit_queue_max);
    }
    return;
  }
}

void RedisJobStore::OnAuditWritten(uint64_t seq) {
  ++counters_.audit_events;
  // Confirmations come in issue order, so this is (nearly always) the front.
  auto it = std::find(audit_seqs_.begin(), audit_seqs_.end(), seq);
  if (it != audit_seqs_.end()) audit_seqs_.erase(it);
  if (audit_seqs_.empty()) audit_drop_logged_ = false;  // the burst of drops is over
}

}  // namespace sd::redis
