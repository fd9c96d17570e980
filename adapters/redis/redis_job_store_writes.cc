// RedisJobStore's writes (redis_job_store.h): claims, outcome commits and receipts gathered
// into batched script calls, the write queue with its retries. Connections, reading and
// shutdown are in redis_job_store.cc.
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <utility>

#include "adapters/redis/api_status_record.h"
#include "adapters/redis/lua_scripts.h"
#include "adapters/redis/redis_job_store.h"
#include "adapters/redis/redis_reply.h"
#include "adapters/untrusted_log.h"
#include "core/outcome.h"

namespace sd::redis {

// ---- Writes -----------------------------------------------------------------------------

namespace {

// Names the claim's MULTI/EXEC in logs (it runs no script).
const LuaScript kClaimTransaction{"claim (SET NX)", "", ""};

// PX 0 is an error in Redis; a record must outlive at least this round trip.
std::string ClaimTtl(const ClaimRequest& r) { return std::to_string(std::max<int64_t>(r.ttl_ms, 1000)); }

}  // namespace

struct RedisJobStore::ClaimBatch {
  std::vector<ClaimRequest> reqs;
  std::vector<ClaimState> states;
  size_t remaining = 0;
  std::function<void(std::vector<ClaimState>)> done;

  void Settle(size_t n) {
    remaining -= n;
    if (remaining == 0) done(std::move(states));
  }
};

// Almost every claim is of a job id never seen: SET NX creates its record. Those go out as
// plain commands in one MULTI/EXEC per chunk (a script per chunk cost Redis about twice as
// much: its per-job Lua work, not the SET, dominated). A claim whose SET finds the record
// (a redelivery, a replay, a retry of a lost EXEC) is settled by the claim script, which reads
// the record and the outcome guard: the same answers as before, for a few entries.
void RedisJobStore::Claim(std::vector<ClaimRequest> reqs,
                          std::function<void(std::vector<ClaimState>)> done) {
  if (reqs.empty()) {
    Later([done = std::move(done)] { done({}); });
    return;
  }
  auto b = std::make_shared<ClaimBatch>();
  b->states.resize(reqs.size());
  b->remaining = reqs.size();
  b->done = std::move(done);
  b->reqs = std::move(reqs);
  counters_.claims += b->reqs.size();
  // One transaction per chunk of the batch (bounded so one never blocks Redis long).
  constexpr size_t kChunk = 256;
  for (size_t start = 0; start < b->reqs.size(); start += kChunk) {
    const size_t end = std::min(b->reqs.size(), start + kChunk);
    WriteOp op;
    op.script = &kClaimTransaction;
    op.items = end - start;
    op.commands = WriteOp::Commands::kSetNx;
    op.keys.reserve(end - start);
    op.args.reserve(2 * (end - start));
    for (size_t i = start; i < end; ++i) {
      const ClaimRequest& r = b->reqs[i];
      op.keys.push_back(Key("idem:" + r.job_id));
      op.args.push_back(r.entry_id);
      op.args.push_back(ClaimTtl(r));
    }
    op.done = [this, b, start, end](redisReply* r) {
      std::vector<size_t> conflicts;
      for (size_t i = start; i < end; ++i) {
        const size_t k = i - start;
        const bool created = r->type == REDIS_REPLY_ARRAY && k < r->elements &&
                             r->element[k]->type == REDIS_REPLY_STATUS;
        if (created) {
          b->states[i] = ClaimState::kNew;
        } else {
          conflicts.push_back(i);  // nil: the record exists (or a surprise: ask the script)
        }
      }
      if (!conflicts.empty()) ClaimConflicts(b, conflicts);
      b->Settle(end - start - conflicts.size());
    };
    Enqueue(std::move(op));
  }
}

void RedisJobStore::ClaimConflicts(std::shared_ptr<ClaimBatch> b, std::vector<size_t> conflicts) {
  counters_.claim_conflicts += conflicts.size();
  WriteOp op;
  op.script = &kClaimScript;
  op.items = conflicts.size();
  for (size_t i : conflicts) {
    const ClaimRequest& r = b->reqs[i];
    op.keys.push_back(Key("idem:" + r.job_id));
    op.keys.push_back(Key("out:" + r.entry_id));
    op.args.push_back(r.entry_id);
    op.args.push_back(ClaimTtl(r));
  }
  op.done = [b, conflicts = std::move(conflicts)](redisReply* r) {
    for (size_t k = 0; k < conflicts.size(); ++k) {
      const long long v = r->type == REDIS_REPLY_ARRAY && k < r->elements &&
                                  r->element[k]->type == REDIS_REPLY_INTEGER
                              ? r->element[k]->integer
                              : -1;
      ClaimState& state = b->states[conflicts[k]];
      switch (v) {
        case kClaimNew:  // the record expired between the two calls
          state = ClaimState::kNew;
          break;
        case kClaimDone:
          state = ClaimState::kAlreadyDone;
          break;
        case kClaimReplay:
          state = ClaimState::kReplay;
          break;
        default:
          state = ClaimState::kResume;
          break;  // kClaimResume (or a surprise: never skip)
      }
    }
    b->Settle(conflicts.size());
  };
  Enqueue(std::move(op));
}

void RedisJobStore::Commit(Outcome o, std::function<void()> done) {
  // Commits issued in one loop turn (a read of many submit_sm_resp) go out as one script call
  // on the next turn. Receipts queue behind them in the same list, so a receipt never
  // overtakes the commit that writes its correlation record.
  ScheduleFlush();
  pending_writes_.push_back(PendingWrite{std::move(o), std::move(done), {}});
}

void RedisJobStore::ScheduleFlush() {
  // Called before a write joins pending_writes_: the first one of a round schedules the flush.
  constexpr size_t kFullCall = 256;  // what one script call carries (FlushPendingWrites)
  if (options_.write_linger_ms <= 0 || pending_writes_.size() + 1 >= kFullCall) {
    if (pending_writes_.empty() || uv_is_active(loop::AsHandle(&write_linger_timer_))) {
      uv_timer_stop(&write_linger_timer_);
      Later([this] { FlushPendingWrites(); });
    }
    return;
  }
  if (pending_writes_.empty()) {
    uv_timer_start(
        &write_linger_timer_,
        [](uv_timer_t* t) { static_cast<RedisJobStore*>(t->data)->FlushPendingWrites(); },
        TimerMs(options_.write_linger_ms), 0);
  }
}

// One outcome's keys and arguments for kCommitManyScript (its layout is described there).
void RedisJobStore::AppendCommitArgs(Outcome& o, WriteOp& op) const {
  op.commits.emplace_back(static_cast<uint32_t>(op.keys.size()),
                          static_cast<uint32_t>(op.args.size()));
  const bool submitted = o.status == OutcomeStatus::kSubmitted;
  const std::string guard = Key("out:" + o.entry_id);
  op.keys.push_back(guard);
  op.keys.push_back(o.job_id.empty() ? guard : Key("idem:" + o.job_id));
  // One correlation key per part: the carrier's canonical ids when it gives them (receipts
  // carry the same form), else the message id exactly as the submit response gave it.
  if (submitted && o.match_keys.empty()) o.match_keys.push_back(o.message_id);
  const size_t ncorr = submitted ? o.match_keys.size() : 0;
  for (size_t p = 0; p < ncorr; ++p) op.keys.push_back(CorrelationKey(o.carrier, o.match_keys[p]));
  // A job the HTTPS API made keeps a status record for GET /v1/messages/<id>
  // (api_status_record.h), and may have one in the format before it.
  const bool api = o.job_id.rfind("api-", 0) == 0;
  if (api) {
    op.keys.push_back(Key(std::string(kApiStatusPrefix) + o.job_id));
    op.keys.push_back(Key(std::string(kApiLegacyStatusPrefix) + o.job_id));
  }
  // Bounded, validated or escaped in core (OutcomeStreamFields), whoever built the outcome.
  std::array<OutcomeField, 11> fields = OutcomeStreamFields(o);
  op.args.push_back(o.entry_id);
  op.args.push_back(std::to_string(ncorr));
  op.args.push_back(std::to_string(2 * fields.size()));
  op.args.push_back(api ? "1" : "0");
  for (const OutcomeField& f : fields) {
    op.args.emplace_back(f.first);
    op.args.push_back(f.second);
  }
  // The part's position and the number of parts follow the job's names when there are several,
  // so a part's receipt knows how many to wait for.
  for (size_t p = 0; p < ncorr; ++p) {
    op.args.push_back(
        EncodeCorrelation(o.entry_id, o.job_id, o.client_ref, o.key_id, p + 1, ncorr));
  }
  if (!api) return;
  // The record takes the outcome's fields but the ones naming the job (it has them), with ts
  // renamed.
  std::string record;
  for (const OutcomeField& f : fields) {
    if (f.first == "entry" || f.first == "job" || f.first == "kid" || f.first == "ref") continue;
    AppendStatusField(record, f.first == "ts" ? "outcome_ts" : f.first, f.second);
  }
  op.args.push_back(std::move(record));
}

void RedisJobStore::FlushPendingWrites() {
  auto pending = std::move(pending_writes_);
  pending_writes_.clear();
  constexpr size_t kChunk = 256;
  std::vector<PendingWrite*> run;  // consecutive commits
  auto flush_run = [&] {
    if (run.empty()) return;
    WriteOp op;
    op.script = &kCommitManyScript;
    op.keys = {options_.outcomes_stream, options_.jobs_stream};
    const std::string ttl = std::to_string(options_.correlation_ttl_ms);
    op.args = {options_.group, ttl, std::to_string(options_.outcome_maxlen), ttl};
    std::vector<std::pair<std::string, std::function<void()>>> dones;
    for (PendingWrite* w : run) {
      AppendCommitArgs(w->outcome, op);
      dones.emplace_back(w->outcome.entry_id, std::move(w->done));
    }
    op.items = dones.size();
    op.written.assign(dones.size(), 0);
    op.commits_done = [this, dones = std::move(dones)](const std::vector<uint8_t>& written) {
      for (size_t i = 0; i < dones.size(); ++i) {
        ++counters_.commits;
        counters_.outcomes_written += written[i];
        in_process_.erase(dones[i].first);
        dones[i].second();
      }
    };
    Enqueue(std::move(op));
    run.clear();
  };
  std::vector<PendingWrite*> receipts;  // consecutive receipts
  for (PendingWrite& w : pending) {
    if (w.op) {
      flush_run();
      FlushReceipts(receipts);
      Enqueue(std::move(*w.op));
      continue;
    }
    if (w.receipt) {
      flush_run();
      receipts.push_back(&w);
      if (receipts.size() == kChunk) FlushReceipts(receipts);
      continue;
    }
    FlushReceipts(receipts);
    run.push_back(&w);
    if (run.size() == kChunk) flush_run();
  }
  flush_run();
  FlushReceipts(receipts);
}

void RedisJobStore::PutReceipt(Receipt rc, std::function<void()> done) {
  PutReceipt(std::move(rc), std::move(done), 0);
}

void RedisJobStore::PutReceipt(Receipt rc, std::function<void()> done, int64_t waited_ms) {
  // Receipts of one loop turn (a read of many deliver_sm) go out as one script call on the
  // next turn, in order behind the commits issued before them: a receipt may need the
  // correlation record one of those writes.
  ScheduleFlush();
  PendingWrite w;
  w.done = std::move(done);
  w.receipt = std::move(rc);
  // (At least 1: 0 means "not tried yet" to FlushReceipts.)
  if (waited_ms > 0) {
    w.first_try_ms = std::max<int64_t>(1, static_cast<int64_t>(uv_now(loop_)) - waited_ms);
  }
  pending_writes_.push_back(std::move(w));
}

void RedisJobStore::FlushReceipts(std::vector<PendingWrite*>& run) {
  if (run.empty()) return;
  WriteOp op;
  op.script = &kReceiptScript;
  op.keys = {options_.receipts_stream, options_.quarantine_stream};
  op.args = {std::to_string(options_.outcome_maxlen), std::to_string(options_.correlation_ttl_ms),
             Key("agg:"), Key(std::string(kApiStatusPrefix)),
             Key(std::string(kApiLegacyStatusPrefix))};
  std::vector<PendingWrite> sent;
  sent.reserve(run.size());
  const int64_t now = static_cast<int64_t>(uv_now(loop_));
  for (PendingWrite* w : run) {
    if (w->first_try_ms == 0) w->first_try_ms = now;
    const bool last_try = now - w->first_try_ms >= options_.unmatched_receipt_wait_ms;
    const Receipt& rc = *w->receipt;
    const std::string status(ReceiptStateName(rc.state));
    const std::string& match = rc.match_key.empty() ? rc.message_id : rc.match_key;
    // Every state but "enroute" is final for a part (SMPP 3.4 5.2.28: ACCEPTED is final too).
    const bool final_state = rc.state != ReceiptState::kEnroute;
    // No message id: the carrier could not read the receipt (its bytes are in `raw`). It goes
    // to quarantine at once, every time it comes (the script uses no guard for it: a cut or
    // empty `raw` cannot tell a redelivery from another receipt, and dropping one loses it).
    const bool unparsable = rc.message_id.empty() && rc.match_key.empty();
    op.receipts.emplace_back(static_cast<uint32_t>(op.keys.size()),
                             static_cast<uint32_t>(op.args.size()));
    op.keys.push_back(CorrelationKey(rc.carrier, match));
    op.keys.push_back(Key("rcpt:" + rc.carrier + ":" + match + ":" + status));
    const std::string fields[] = {
        "carrier",         rc.carrier, "message_id",  rc.message_id, "carrier_status",
        rc.carrier_status, "err",      rc.error_code, "ts",          std::to_string(rc.ts_ms)};
    op.args.push_back(status);
    op.args.push_back(final_state ? "1" : "0");
    op.args.push_back(unparsable ? "2" : last_try ? "1" : "0");
    op.args.push_back(std::to_string(std::size(fields) + (rc.raw.empty() ? 0 : 2)));
    op.args.insert(op.args.end(), std::begin(fields), std::end(fields));
    if (!rc.raw.empty()) {
      op.args.push_back("raw");
      op.args.push_back(rc.raw);
    }
    sent.push_back(std::move(*w));
  }
  op.items = sent.size();
  // shared: a WriteOp's completion must be copyable, and the receipts may be needed again.
  auto receipts = std::make_shared<std::vector<PendingWrite>>(std::move(sent));
  op.receipts_done = [this, receipts](const std::vector<long long>& codes) {
    for (size_t i = 0; i < receipts->size(); ++i) {
      PendingWrite& w = (*receipts)[i];
      const long long v = codes[i];
      if (v == kReceiptNotYet) {
        RetryUnmatched(std::move(w));
        continue;
      }
      ++counters_.receipts;
      if (v == kReceiptUnmatched) ++counters_.unmatched_receipts;
      if (v == kReceiptUnmatched && w.receipt->message_id.empty()) ++counters_.unparsable_receipts;
      if (v == kReceiptDuplicate) ++counters_.duplicate_receipts;
      if (v == kReceiptPartNoted) ++counters_.part_receipts;
      w.done();
    }
  };
  Enqueue(std::move(op));
  run.clear();
}

void RedisJobStore::RetryUnmatched(PendingWrite w) {
  // Closing: never acknowledged, so the SMSC sends it again after the next bind (quarantining
  // it now would file a receipt whose submit is merely late).
  if (closing_) return;
  ++counters_.receipt_retries;
  w.wait_ms = w.wait_ms == 0 ? 100 : w.wait_ms * 2;
  const int64_t now = static_cast<int64_t>(uv_now(loop_));
  // Never past the end of the wait: the last try is the one that quarantines.
  const int64_t due =
      std::min(now + w.wait_ms, w.first_try_ms + options_.unmatched_receipt_wait_ms);
  auto at = std::upper_bound(unmatched_.begin(), unmatched_.end(), due,
                             [](int64_t d, const auto& e) { return d < e.first; });
  unmatched_.insert(at, {due, std::move(w)});
  const int64_t first = unmatched_.front().first;
  uv_timer_start(
      &receipt_retry_timer_,
      [](uv_timer_t* t) { static_cast<RedisJobStore*>(t->data)->OnReceiptRetryTimer(); },
      static_cast<uint64_t>(std::max<int64_t>(first - now, 0)), 0);
}

void RedisJobStore::OnReceiptRetryTimer() {
  const int64_t now = static_cast<int64_t>(uv_now(loop_));
  size_t due = 0;
  while (due < unmatched_.size() && unmatched_[due].first <= now) ++due;
  if (due > 0) {
    // Back in line like new receipts: behind the commits issued meanwhile.
    if (pending_writes_.empty()) Later([this] { FlushPendingWrites(); });  // no linger: late
    for (size_t i = 0; i < due; ++i) pending_writes_.push_back(std::move(unmatched_[i].second));
    unmatched_.erase(unmatched_.begin(), unmatched_.begin() + static_cast<ptrdiff_t>(due));
  }
  if (!unmatched_.empty()) {
    uv_timer_start(
        &receipt_retry_timer_,
        [](uv_timer_t* t) { static_cast<RedisJobStore*>(t->data)->OnReceiptRetryTimer(); },
        static_cast<uint64_t>(std::max<int64_t>(unmatched_.front().first - now, 0)), 0);
  }
}

void RedisJobStore::Enqueue(WriteOp op) {
  if (shutting_down_) {
    spdlog::error("redis: {} issued after Close(); dropped", op.script->name);
    return;
  }
  op.seq = next_seq_++;
  const bool audit = op.audit;
  if (audit) op.done = [this, seq = op.seq](redisReply*) { OnAuditWritten(seq); };
  auto shared = std::make_shared<WriteOp>(std::move(op));
  // Only straight to the wire when nothing older waits: issue order is kept.
  if (writer_.ready() && queue_.empty() && !writer_held_) {
    Send(std::move(shared));
  } else {
    queue_.emplace(shared->seq, std::move(shared));
  }
  if (audit) OnAuditQueued(next_seq_ - 1);  // may drop the oldest queued event (audit_log.cc)
}

void RedisJobStore::SendQueued() {
  while (!queue_.empty() && writer_.ready() && !writer_held_) {
    auto op = std::move(queue_.begin()->second);
    queue_.erase(queue_.begin());
    const uint64_t seq = op->seq;
    Send(std::move(op));
    // Back in the queue: not sent (the connection is going down while its null replies run);
    // the writer's next ready sends it. Trying again now would spin.
    if (queue_.count(seq) != 0) break;
  }
  // A WAIT that got an error reply is sent again here, after the retry delay.
  if (!wait_outstanding_ && !gate_waiting_.empty()) SendWait();
}

void RedisJobStore::Send(std::shared_ptr<WriteOp> op) {
  if (op->must_succeed) {
    ++outstanding_writes_;
    outstanding_items_ += op->items;
  }
  if (options_.plain_writes && !op->commits.empty()) {
    SendCommitCheck(op);
    return;
  }
  if (options_.plain_writes && !op->receipts.empty()) {
    SendReceiptCheck(op);
    return;
  }
  auto on_reply = [this, op](redisReply* r) { OnWriteReply(op, r); };
  const bool script = op->commands == WriteOp::Commands::kScript;
  const bool sent =
      script ? SendScript(*op, std::move(on_reply)) : SendCommands(*op, std::move(on_reply));
  if (sent) {
    ++(script ? counters_.script_calls : counters_.transactions);
    return;
  }
  if (op->must_succeed) {
    --outstanding_writes_;
    outstanding_items_ -= op->items;
    queue_.emplace(op->seq, std::move(op));  // the writer's next ready sends it
  } else {
    op->done(nullptr);
  }
}

bool RedisJobStore::SendScript(const WriteOp& op, RedisConnection::ReplyFn on_reply) {
  // The arguments are passed to hiredis where they lie (op keeps them until the reply), not
  // copied into a command vector first.
  const std::string numkeys = std::to_string(op.keys.size());
  send_ptrs_.clear();
  send_lens_.clear();
  auto add = [this](const char* p, size_t n) {
    send_ptrs_.push_back(p);
    send_lens_.push_back(n);
  };
  if (op.use_eval) {
    add("EVAL", 4);
    add(op.script->body.data(), op.script->body.size());
  } else {
    add("EVALSHA", 7);
    add(op.script->sha1.data(), op.script->sha1.size());
  }
  add(numkeys.data(), numkeys.size());
  for (const std::string& k : op.keys) add(k.data(), k.size());
  for (const std::string& a : op.args) add(a.data(), a.size());
  return writer_.Command(send_ptrs_.size(), send_ptrs_.data(), send_lens_.data(),
                         std::move(on_reply));
}

// The claims' MULTI/EXEC, from the strings the op keeps (no command vectors per claim).
bool RedisJobStore::SendCommands(const WriteOp& op, RedisConnection::ReplyFn on_reply) {
  static const std::string kSet = "SET", kGet = "GET", kNx = "NX", kPx = "PX";
  ArgsClear();
  for (size_t i = 0; i < op.keys.size(); ++i) {
    Arg(op.commands == WriteOp::Commands::kGet ? kGet : kSet);
    Arg(op.keys[i]);
    if (op.commands != WriteOp::Commands::kGet) {
      Arg(op.args[2 * i]);
      if (op.commands == WriteOp::Commands::kSetNx) Arg(kNx);
      Arg(kPx);
      Arg(op.args[2 * i + 1]);
    }
    EndCommand();
  }
  return SendArgsTransaction(std::move(on_reply));
}

void RedisJobStore::OnWriteReply(const std::shared_ptr<WriteOp>& op, redisReply* r) {
  if (op->must_succeed) {
    --outstanding_writes_;
    outstanding_items_ -= op->items;
  }
  if (abandon_writes_) return;  // Close gave up on it; the entry stays pending in Redis
  if (r != nullptr && ReplyErrorIs(r, "NOSCRIPT")) {
    // Redis lost its script cache (restart, SCRIPT FLUSH) and SCRIPT LOAD was not possible.
    op->use_eval = true;
    Send(op);
    return;
  }
  if (!op->must_succeed) {
    if (r != nullptr && ReplyIsError(r)) {
      ++counters_.errors;
      spdlog::debug("redis: {} script: {}", op->script->name,
                    Untrusted(ReplyString(r), kLogMessageMax));
    }
    op->done(r);
    return;
  }
  if (r == nullptr) {
    // Connection lost before the reply: the script may or may not have run. Every script is
    // idempotent, so sending it again after the reconnect is safe.
    ++counters_.write_retries;
    queue_.emplace(op->seq, op);
    MaybeFinishClose();
    return;
  }
  if (r->type == REDIS_REPLY_ERROR) {
    // LOADING, OOM, MASTERDOWN, READONLY after a failover, NOPERM from a misconfigured ACL:
    // dropping the write would lose an outcome, so it is retried with backoff until it
    // succeeds (and counted, so a permanent problem is visible in stats).
    ++counters_.errors;
    ++counters_.write_retries;
    if (ReplyErrorIs(r, "NOGROUP")) {
      group_ready_ = false;
      CreateGroup();
    }
    if (!uv_is_active(loop::AsHandle(&write_retry_timer_))) {
      spdlog::error("redis: {} script: {} (retrying)", op->script->name,
                    Untrusted(ReplyString(r), kLogMessageMax));
    }
    queue_.emplace(op->seq, op);
    ScheduleWriteRetry();
    return;
  }
  write_backoff_.Reset();
  op->use_eval = false;
  if (options_.wait_replicas <= 0) {
    CompleteWrite(op, r);
  } else {
    // The completions read the reply after hiredis has freed it: they get a copy.
    if (!op->commits.empty()) MarkCommitsWritten(op, r);
    std::shared_ptr<redisReply> copy(CopyReply(r), freeReplyObject);
    Replicated(op, [this, op, copy] { CompleteWrite(op, copy.get()); });
  }
  MaybeFinishClose();
}

void RedisJobStore::CompleteWrite(const std::shared_ptr<WriteOp>& op, redisReply* r) {
  if (!op->commits.empty()) {
    MarkCommitsWritten(op, r);
    op->commits_done(op->written);
  } else if (op->receipts_done) {
    std::vector<long long> codes(op->receipts.size(), -1);
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements && i < codes.size(); ++i) {
      if (r->element[i]->type == REDIS_REPLY_INTEGER) codes[i] = r->element[i]->integer;
    }
    op->receipts_done(codes);
  } else {
    op->done(r);
  }
}

void RedisJobStore::ScheduleWriteRetry() {
  if (shutting_down_ || uv_is_active(loop::AsHandle(&write_retry_timer_))) {
    return;
  }
  uv_timer_start(
      &write_retry_timer_,
      [](uv_timer_t* t) { static_cast<RedisJobStore*>(t->data)->SendQueued(); },
      TimerMs(write_backoff_.Next(rng_)), 0);
}

void RedisJobStore::Later(std::function<void()> fn) {
  if (shutting_down_) return;  // after Close no completion runs (see Close)
  next_turn_.Post(std::move(fn));
}

}  // namespace sd::redis
