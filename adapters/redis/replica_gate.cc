// RedisJobStore's replication gate (RedisStoreOptions::wait_replicas, redis_job_store.h).
//
// Redis confirms a write once the master has it; replicas get it a moment later. A master that
// dies in that moment takes the write with it, and the replica promoted in its place never
// saw it: a claim forgotten there lets the job be claimed as new and sent a second time, a
// receipt acknowledged to the SMSC is gone for good. WAIT makes the gap visible: it answers
// how many replicas have every write this connection sent so far. So a confirmed write's
// completions wait here until a WAIT sent after its reply counts wait_replicas replicas.
//
// One WAIT covers every write answered before it was sent, so writes answered while one is in
// flight share the next. Too few replicas within wait_timeout_ms: WAIT again (the same
// connection still covers them). The connection lost before WAIT answered: nothing says the
// writes reached a replica, and a WAIT on the next connection would not cover them, so they
// are sent again (every write is idempotent: a claim finds its own record, a commit its done
// mark) and wait for a WAIT of their own.
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <string>
#include <utility>

#include "adapters/redis/redis_job_store.h"
#include "adapters/redis/redis_reply.h"
#include "adapters/untrusted_log.h"

namespace sd::redis {

void RedisJobStore::Replicated(const std::shared_ptr<WriteOp>& op, std::function<void()> complete) {
  if (options_.wait_replicas <= 0 || !op->must_succeed || op->read_only) {
    complete();
    return;
  }
  gated_items_ += op->items;
  gate_next_.push_back({op, std::move(complete)});
  if (!wait_outstanding_) SendWait();
}

void RedisJobStore::SendWait() {
  if (wait_outstanding_ || abandon_writes_ || (gate_next_.empty() && gate_waiting_.empty())) {
    return;
  }
  for (Gated& g : gate_next_) gate_waiting_.push_back(std::move(g));
  gate_next_.clear();
  const bool sent = writer_.Command(
      {"WAIT", std::to_string(options_.wait_replicas), std::to_string(options_.wait_timeout_ms)},
      [this](redisReply* r) { OnWaitReply(r); });
  if (!sent) {  // the writer is down: its writes are answered, their replication unknown
    ResendGated();
    return;
  }
  wait_outstanding_ = true;
  ++counters_.replica_waits;
}

void RedisJobStore::OnWaitReply(redisReply* r) {
  wait_outstanding_ = false;
  if (abandon_writes_) return;  // Close gave up: the entries stay pending in Redis
  if (r == nullptr) {
    ResendGated();
    MaybeFinishClose();
    return;
  }
  if (r->type != REDIS_REPLY_INTEGER) {
    // An ACL without WAIT, or a server that refuses it: retried with backoff, visibly.
    ++counters_.errors;
    if (!uv_is_active(loop::AsHandle(&write_retry_timer_))) {
      spdlog::error("redis: WAIT {}: {} (retrying)", options_.wait_replicas,
                    Untrusted(ReplyString(r), kLogMessageMax));
    }
    ScheduleWriteRetry();  // SendQueued sends the WAIT again
    return;
  }
  if (r->integer < options_.wait_replicas) {
    ++counters_.replica_waits_short;
    if (!wait_short_logged_) {
      wait_short_logged_ = true;
      spdlog::warn(
          "redis: {} of {} replicas acknowledged within {} ms; claims, commits and receipts wait "
          "for them (wait_replicas)",
          r->integer, options_.wait_replicas, options_.wait_timeout_ms);
    }
    SendWait();
    return;
  }
  if (wait_short_logged_) {
    wait_short_logged_ = false;
    spdlog::info("redis: {} replicas acknowledge again", r->integer);
  }
  std::vector<Gated> done;
  done.swap(gate_waiting_);
  for (Gated& g : done) {
    gated_items_ -= g.op->items;
    g.complete();
  }
  SendWait();
  MaybeFinishClose();
}

void RedisJobStore::ResendGated() {
  for (std::vector<Gated>* list : {&gate_waiting_, &gate_next_}) {
    for (Gated& g : *list) {
      gated_items_ -= g.op->items;
      ++counters_.write_retries;
      ++counters_.replica_resends;
      queue_.emplace(g.op->seq, std::move(g.op));
    }
    list->clear();
  }
}

}  // namespace sd::redis
