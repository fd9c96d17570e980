// What RedisJobStore's two plain paths share (redis_job_store.h): commit batches
// (redis_job_store_commit.cc) and receipt batches (redis_job_store_receipt.cc) both go
//
//   1. WATCH the records the batch decides by, read them, TYPE of the stream it writes to;
//      nothing else goes out on the writer until step 2 has (an EXEC in between, such as a
//      claim batch's, would drop the WATCH);
//   2. MULTI, the writes step 1 decided, EXEC: run only if no watched record changed since.
//
// instead of one script call, because Redis spent more on interpreting the scripts (and on
// turning their arguments into Lua strings) than on the commands they run. A batch step 1
// cannot decide alone goes to its script, which decides every case inside Redis.
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include "adapters/redis/redis_job_store.h"
#include "adapters/redis/redis_reply.h"
#include "adapters/untrusted_log.h"

namespace sd::redis {

void RedisJobStore::ArgsClear() {
  send_ptrs_.clear();
  send_lens_.clear();
  send_argcs_.clear();
  command_start_ = 0;
}

bool RedisJobStore::SendArgs(size_t from, RedisConnection::ReplyFn fn) {
  return writer_.Command(send_ptrs_.size() - from, send_ptrs_.data() + from,
                         send_lens_.data() + from, std::move(fn));
}

void RedisJobStore::EndCommand() {
  send_argcs_.push_back(send_ptrs_.size() - command_start_);
  command_start_ = send_ptrs_.size();
}

bool RedisJobStore::SendArgsTransaction(RedisConnection::ReplyFn fn) {
  return writer_.Transaction(send_argcs_.size(), send_argcs_.data(), send_ptrs_.data(),
                             send_lens_.data(), std::move(fn));
}

bool RedisJobStore::SendWatch(size_t from, const std::shared_ptr<PlainCheck>& c) {
  return SendArgs(from, [c](redisReply* r) {
    if (r == nullptr) c->lost = true;
    if (r == nullptr || r->type == REDIS_REPLY_ERROR) c->plain = false;
    if (r != nullptr && r->type == REDIS_REPLY_ERROR) {
      c->refused = true;  // e.g. NOPERM: an ACL from before the plain paths
      c->refusal = ReplyString(r);
    }
  });
}

bool RedisJobStore::SendTypeCheck(const std::string& stream, const std::shared_ptr<PlainCheck>& c,
                                  std::function<void()> checked) {
  static const std::string kType = "TYPE";
  const size_t from = send_ptrs_.size();
  Arg(kType);
  Arg(stream);
  // Only a stream (or nothing yet) takes an XADD; anything else would fail inside EXEC, after
  // the records were marked. The script writes nothing before its XADD succeeded.
  return SendArgs(from, [c, checked = std::move(checked)](redisReply* r) {
    if (r == nullptr) c->lost = true;
    const std::string type = r != nullptr ? ReplyString(r) : "";
    if (type != "stream" && type != "none") c->plain = false;
    checked();
  });
}

void RedisJobStore::HoldOrRequeue(const std::shared_ptr<WriteOp>& op, bool sent) {
  // Not sent: the writer is not ready (hiredis queues each command or refuses it, and cannot
  // start refusing half-way through calls made in one go), so nothing went out; the op waits
  // for the next ready.
  writer_held_ = sent;
  if (sent) return;
  --outstanding_writes_;
  outstanding_items_ -= op->items;
  queue_.emplace(op->seq, op);
}

void RedisJobStore::OnPlainChecked(const std::shared_ptr<WriteOp>& op, const PlainCheck& c,
                                   const std::function<bool()>& send_plain) {
  writer_held_ = false;
  if (plain_check_hook_) plain_check_hook_();
  if (c.lost || abandon_writes_) {
    OnWriteReply(op, nullptr);  // back to the queue (or dropped when Close gave up)
    return;
  }
  if (c.refused) NotePlainRefused(c.refusal);
  if (!c.plain || !send_plain()) {
    // The script decides; the WATCH must not outlive this (a later EXEC would see it).
    writer_.Command({"UNWATCH"}, [](redisReply*) {});
    SendOpScript(op);
  }
  SendQueued();  // what queued up behind the check
}

bool RedisJobStore::PlainExecRan(const std::shared_ptr<WriteOp>& op, redisReply* r,
                                 uint64_t& rechecks) {
  if (r == nullptr || r->type == REDIS_REPLY_ERROR) {
    // Lost (sent again: step 1 then sees what ran) or EXECABORT (OOM, say): retried.
    OnWriteReply(op, r);
    return false;
  }
  --outstanding_writes_;
  outstanding_items_ -= op->items;
  if (abandon_writes_) return false;  // Close gave up on it; the entries stay pending in Redis
  if (r->type == REDIS_REPLY_ARRAY) return true;
  // Null: a watched record changed between the two steps and nothing ran. Checked again at
  // once, ahead of anything queued since.
  ++rechecks;
  Requeue(op, false);
  return false;
}

void RedisJobStore::NotePlainRefused(const std::string& refusal) {
  plain_refused_ = true;
  if (plain_refused_logged_) return;
  plain_refused_logged_ = true;
  spdlog::warn(
      "redis: WATCH refused ({}): commits and receipts go by script, which costs Redis more; "
      "the ACL in docs/redis.md allows the plain path",
      Untrusted(refusal, kLogMessageMax));
}

void RedisJobStore::Requeue(const std::shared_ptr<WriteOp>& op, bool backoff) {
  queue_.emplace(op->seq, op);
  if (!backoff) {
    SendQueued();
    return;
  }
  ++counters_.errors;
  ++counters_.write_retries;
  ScheduleWriteRetry();
}

void RedisJobStore::SendOpScript(const std::shared_ptr<WriteOp>& op) {
  if (SendScript(*op, [this, op](redisReply* r) { OnWriteReply(op, r); })) {
    ++counters_.script_calls;
    return;
  }
  --outstanding_writes_;
  outstanding_items_ -= op->items;
  queue_.emplace(op->seq, op);  // the writer's next ready sends it
}

}  // namespace sd::redis
