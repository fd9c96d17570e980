#include "adapters/redis/redis_job_store.h"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <unordered_map>
#include <utility>

#include "adapters/redis/lua_scripts.h"
#include "adapters/redis/redis_reply.h"
#include "adapters/untrusted_log.h"
#include "core/envelope.h"
#include "core/outcome.h"

namespace sd::redis {
namespace {

// Stream ids "ms-seq" compared numerically ("10-0" > "9-5"); unparsable ids sort first.
std::pair<uint64_t, uint64_t> ParseId(const std::string& id) {
  uint64_t ms = 0;
  uint64_t seq = 0;
  const char* end = id.data() + id.size();
  auto r = std::from_chars(id.data(), end, ms);
  if (r.ec == std::errc() && r.ptr < end && *r.ptr == '-') std::from_chars(r.ptr + 1, end, seq);
  return {ms, seq};
}

}  // namespace

uint64_t RedisJobStore::TimerMs(int64_t v) {
  return static_cast<uint64_t>(std::max<int64_t>(v, 1));
}

std::string DefaultConsumerName() {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "smsdispatchd";
  return host;
}

namespace {
// The reader's PING waits behind a blocking XREADGROUP, so its timeout must outlast BLOCK.
RedisEndpoint ReaderEndpoint(RedisEndpoint e, int64_t block_ms) {
  if (e.heartbeat_ms > 0) e.heartbeat_timeout_ms = std::max(e.heartbeat_timeout_ms, 3 * block_ms);
  return e;
}
}  // namespace

RedisJobStore::RedisJobStore(uv_loop_t* loop, RedisStoreOptions options)
    : loop_(loop),
      options_(std::move(options)),
      reader_(loop, ReaderEndpoint(options_.endpoint, options_.block_ms), "reader"),
      writer_(loop, options_.endpoint, "writer"),
      read_backoff_(options_.retry_delay_ms, options_.endpoint.reconnect_max_ms),
      write_backoff_(options_.retry_delay_ms, options_.endpoint.reconnect_max_ms),
      next_turn_(loop),
      audit_bursts_(60'000, options_.audit_burst_per_minute) {
  // COUNT 0 would mean "no limit" to Redis and BLOCK 0 "forever" (a reclaim could then wait
  // for ever behind a read): neither is what a configuration of 0 can sensibly want.
  options_.batch = std::max<size_t>(options_.batch, 1);
  writer_.MeasureRoundTrips(&write_round_trips_);
  options_.block_ms = std::max<int64_t>(options_.block_ms, 1);
  for (uv_timer_t* t :
       {&claim_timer_, &write_retry_timer_, &read_retry_timer_, &close_timer_, &move_timer_,
        &receipt_retry_timer_, &read_linger_timer_, &write_linger_timer_}) {
    uv_timer_init(loop_, t);
    t->data = this;
  }
}

RedisJobStore::~RedisJobStore() {
  if (!closed_done_) spdlog::error("redis: job store destroyed before Close() completed");
}

const RedisStoreCounters& RedisJobStore::counters() const {
  counters_.reconnects = reader_.reconnects() + writer_.reconnects();
  counters_.auth_failures = reader_.auth_failures() + writer_.auth_failures();
  return counters_;
}

std::string RedisJobStore::last_error() const {
  if (!writer_.last_error().empty()) return "writer: " + writer_.last_error();
  if (!reader_.last_error().empty()) return "reader: " + reader_.last_error();
  return {};
}

void RedisJobStore::Start() {
  if (started_ || closing_) return;
  started_ = true;
  writer_.SetOnReady([this] { OnWriterReady(); });
  reader_.SetOnReady([this] { OnReaderReady(); });
  reader_.SetOnDown([this] { read_outstanding_ = false; });
  writer_.Start();
  reader_.Start();
  uv_timer_start(
      &claim_timer_, [](uv_timer_t* t) { static_cast<RedisJobStore*>(t->data)->OnClaimTick(); },
      TimerMs(options_.claim_interval_ms), TimerMs(options_.claim_interval_ms));
  if (options_.defer_move_interval_ms > 0) {
    uv_timer_start(
        &move_timer_, [](uv_timer_t* t) { static_cast<RedisJobStore*>(t->data)->MoveDue(); },
        TimerMs(options_.defer_move_interval_ms), TimerMs(options_.defer_move_interval_ms));
  }
}

// ---- Connections ------------------------------------------------------------------------

void RedisJobStore::OnWriterReady() {
  plain_refused_ = false;
  // Cache the scripts so EVALSHA works from the first write. A user without SCRIPT LOAD
  // permission still works: the first EVALSHA of each script gets NOSCRIPT and is re-sent as
  // EVAL, which caches it too.
  for (const LuaScript* s : AllScripts()) {
    writer_.Command({"SCRIPT", "LOAD", s->body}, [this, s](redisReply* r) {
      if (r == nullptr) return;
      if (ReplyIsError(r)) {
        if (!script_load_refused_logged_) {
          script_load_refused_logged_ = true;
          spdlog::info("redis: SCRIPT LOAD refused ({}); scripts go by EVAL on first use",
                       Untrusted(ReplyString(r), kLogMessageMax));
        }
      } else if (ReplyString(r) != s->sha1) {
        ++counters_.errors;
        spdlog::error("redis: SCRIPT LOAD {}: server hash {} differs from ours", s->name,
                      Untrusted(ReplyString(r), kLogMessageMax));
      }
    });
  }
  // Pipelined right behind: queued writes (waiting since the connection was lost) go now.
  group_create_outstanding_ = false;
  CreateGroup();
  SendQueued();
  MoveDue();  // jobs that fell due while we were away go back at once
}

void RedisJobStore::CreateGroup() {
  if (group_create_outstanding_ || shutting_down_) return;
  // From the start of the stream, so jobs enqueued before the first daemon ran count.
  group_create_outstanding_ =
      writer_.Command({"XGROUP", "CREATE", options_.jobs_stream, options_.group, "0", "MKSTREAM"},
                      [this](redisReply* r) {
                        group_create_outstanding_ = false;
                        if (r == nullptr || closing_)
                          return;  // the next writer connection tries again
                        if (ReplyIsError(r) && !ReplyErrorIs(r, "BUSYGROUP")) {
                          ++counters_.errors;
                          spdlog::error("redis: XGROUP CREATE {} {}: {}", options_.jobs_stream,
                                        options_.group, Untrusted(ReplyString(r), kLogMessageMax));
                          ScheduleReadRetry();  // the retry re-creates the group first
                          return;
                        }
                        group_ready_ = true;
                        MaybeRead();
                      });
}

void RedisJobStore::OnReaderReady() {
  // After any (re)connect, first re-read our own pending entries: they were delivered to this
  // consumer before a crash or disconnect and have no outcome yet.
  phase_ = ReadKind::kOwnPending;
  drain_cursor_ = "0";
  read_outstanding_ = false;
  MaybeRead();
}

// ---- Intake -----------------------------------------------------------------------------

void RedisJobStore::GrantCredit(size_t credit) {
  credit_ += credit;
  MaybeRead();
}

void RedisJobStore::StopReading() {
  reading_ = false;
  // The claim timer keeps running: the touch keeps our in-flight entries ours while the
  // dispatcher finishes them.
}

void RedisJobStore::MaybeRead() {
  if (!reading_ || closing_ || read_outstanding_ || credit_ == 0 || !reader_.ready()) return;
  if (uv_is_active(loop::AsHandle(&read_retry_timer_))) return;   // backing off
  if (uv_is_active(loop::AsHandle(&read_linger_timer_))) return;  // batching
  if (!group_ready_) {
    CreateGroup();
    return;
  }
  const std::string count = std::to_string(std::min(credit_, options_.batch));
  ReadKind kind = phase_;
  if (kind == ReadKind::kNew && reclaim_due_) kind = ReadKind::kReclaim;
  std::vector<std::string> argv;
  switch (kind) {
    case ReadKind::kOwnPending:
      argv = {"XREADGROUP", "GROUP",   options_.group,       options_.consumer, "COUNT",
              count,        "STREAMS", options_.jobs_stream, drain_cursor_};
      break;
    case ReadKind::kNew:
      argv = {"XREADGROUP",
              "GROUP",
              options_.group,
              options_.consumer,
              "COUNT",
              count,
              "BLOCK",
              std::to_string(options_.block_ms),
              "STREAMS",
              options_.jobs_stream,
              ">"};
      break;
    case ReadKind::kReclaim:
      reclaim_due_ = false;
      argv = {"XAUTOCLAIM",
              options_.jobs_stream,
              options_.group,
              options_.consumer,
              std::to_string(std::max<int64_t>(options_.claim_idle_ms, 0)),
              claim_cursor_,
              "COUNT",
              count};
      break;
  }
  const size_t asked = std::min(credit_, options_.batch);
  read_outstanding_ =
      reader_.Command(argv, [this, kind, asked](redisReply* r) { OnReadReply(r, kind, asked); });
  if (read_outstanding_) ++counters_.job_reads;
}

void RedisJobStore::OnReadReply(redisReply* r, ReadKind kind, size_t asked) {
  read_outstanding_ = false;
  if (r == nullptr || closing_) return;  // reader lost: OnReaderReady starts with the drain
  if (r->type == REDIS_REPLY_ERROR) {
    ++counters_.errors;
    spdlog::warn("redis: {}: {}", kind == ReadKind::kReclaim ? "XAUTOCLAIM" : "XREADGROUP",
                 Untrusted(ReplyString(r), kLogMessageMax));
    if (ReplyErrorIs(r, "NOGROUP")) group_ready_ = false;  // e.g. Redis restarted empty
    ScheduleReadRetry();
    return;
  }
  read_backoff_.Reset();
  const redisReply* list = nullptr;
  if (kind == ReadKind::kReclaim) {
    // Redis 7: [next cursor, [entries], [ids deleted from the stream, now out of the PEL]].
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
      ++counters_.errors;
      spdlog::error("redis: XAUTOCLAIM: unexpected reply shape");
      ScheduleReadRetry();
      return;
    }
    claim_cursor_ = ReplyString(r->element[0]);
    if (claim_cursor_.empty()) claim_cursor_ = "0-0";
    // More of the pending list to scan: continue at the reader's next turn.
    if (claim_cursor_ != "0-0") reclaim_due_ = true;
    list = r->element[1];
    if (r->elements >= 3 && r->element[2]->type == REDIS_REPLY_ARRAY &&
        r->element[2]->elements > 0) {
      counters_.deleted_entries += r->element[2]->elements;
      spdlog::warn("redis: {} pending entries were deleted from {} before being processed",
                   r->element[2]->elements, options_.jobs_stream);
    }
  } else if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1) {
    // [[stream, [entries]]]; a nil reply is a BLOCK that timed out with nothing new.
    const redisReply* s = r->element[0];
    if (s->type == REDIS_REPLY_ARRAY && s->elements == 2) list = s->element[1];
  }
  std::vector<StreamEntry> fresh;
  std::vector<std::string> gone;
  const std::string cursor_before = drain_cursor_;
  size_t raw = 0;  // entries in the reply, including ones skipped
  if (list != nullptr && list->type == REDIS_REPLY_ARRAY) {
    raw = list->elements;
    for (size_t i = 0; i < list->elements; ++i) {
      StreamEntry e;
      const EntryParse p = ParseStreamEntry(list->element[i], &e);
      if (p == EntryParse::kInvalid) {
        ++counters_.errors;
        spdlog::error("redis: unexpected stream entry shape in a reply; skipped");
        continue;
      }
      if (kind == ReadKind::kOwnPending) drain_cursor_ = e.entry_id;
      if (in_process_.count(e.entry_id) != 0) continue;  // still being worked on by us
      if (p == EntryParse::kDeleted) {
        gone.push_back(std::move(e.entry_id));
      } else {
        fresh.push_back(std::move(e));
      }
    }
  }
  if (kind == ReadKind::kOwnPending && (raw == 0 || drain_cursor_ == cursor_before)) {
    // Drain complete (an empty page), or a page with no parsable id, which would otherwise be
    // read again and again.
    phase_ = ReadKind::kNew;
  }
  if (!reading_) return;  // stopping: what was read stays pending and is redelivered
  AckDeleted(gone);
  if (!fresh.empty()) Accept(std::move(fresh), kind);
  if (kind == ReadKind::kNew && raw > 0 && raw < asked && options_.read_linger_ms > 0) {
    // A short read: the stream is nearly drained, so the next read would wake for a handful.
    uv_timer_start(
        &read_linger_timer_,
        [](uv_timer_t* t) { static_cast<RedisJobStore*>(t->data)->MaybeRead(); },
        TimerMs(options_.read_linger_ms), 0);
    return;
  }
  MaybeRead();
}

void RedisJobStore::ScheduleReadRetry() {
  if (shutting_down_) return;
  uv_timer_start(
      &read_retry_timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<RedisJobStore*>(t->data);
        if (!self->group_ready_) self->CreateGroup();
        self->MaybeRead();
      },
      TimerMs(read_backoff_.Next(rng_)), 0);
}

void RedisJobStore::Accept(std::vector<StreamEntry> entries, ReadKind kind) {
  // Reserve credit now (the COUNT guaranteed it suffices); dead-lettered entries refund it.
  credit_ -= std::min(credit_, entries.size());
  for (const StreamEntry& e : entries) in_process_.insert(e.entry_id);
  if (kind == ReadKind::kOwnPending) counters_.pending_redelivered += entries.size();
  if (kind == ReadKind::kReclaim) {
    counters_.reclaimed += entries.size();
    spdlog::info("redis: reclaimed {} entries idle for over {} ms", entries.size(),
                 options_.claim_idle_ms);
  }
  if (kind == ReadKind::kNew || options_.max_deliveries <= 0) {
    HandOut(std::move(entries));
  } else {
    CheckDeliveries(std::move(entries));
  }
}

void RedisJobStore::CheckDeliveries(std::vector<StreamEntry> entries) {
  // Redelivered entries: read their delivery counts (one XPENDING for the batch) so a job
  // that keeps killing its consumer ends on the dead-letter stream instead of looping forever.
  const std::string* first = &entries.front().entry_id;
  const std::string* last = first;
  for (const StreamEntry& e : entries) {
    if (ParseId(e.entry_id) < ParseId(*first)) first = &e.entry_id;
    if (ParseId(*last) < ParseId(e.entry_id)) last = &e.entry_id;
  }
  // Our pending entries in [first, last] are this batch plus at most the ones in process.
  const std::string count = std::to_string(in_process_.size() + entries.size());
  std::vector<std::string> argv{"XPENDING", options_.jobs_stream, options_.group, *first, *last,
                                count,      options_.consumer};
  auto batch = std::make_shared<std::vector<StreamEntry>>(std::move(entries));
  const bool sent = writer_.Command(argv, [this, batch](redisReply* r) {
    if (closing_) {
      for (const StreamEntry& e : *batch) in_process_.erase(e.entry_id);  // stay pending
      return;
    }
    std::unordered_map<std::string, int64_t> deliveries;
    if (r != nullptr && r->type == REDIS_REPLY_ARRAY) {
      for (size_t i = 0; i < r->elements; ++i) {
        const redisReply* p = r->element[i];
        if (p->type == REDIS_REPLY_ARRAY && p->elements == 4 &&
            p->element[3]->type == REDIS_REPLY_INTEGER) {
          deliveries[ReplyString(p->element[0])] = p->element[3]->integer;
        }
      }
    } else {
      // A missed check costs one more delivery of a possible poison entry; stalling intake
      // would cost every job behind it.
      ++counters_.errors;
      spdlog::warn("redis: XPENDING failed ({}); handing redelivered entries out unchecked",
                   Untrusted(r == nullptr ? "connection lost" : ReplyString(r), kLogMessageMax));
    }
    std::vector<StreamEntry> keep;
    for (StreamEntry& e : *batch) {
      auto it = deliveries.find(e.entry_id);
      if (it != deliveries.end() && it->second > options_.max_deliveries) {
        DeadLetter(e, it->second);
        ++credit_;
      } else {
        keep.push_back(std::move(e));
      }
    }
    if (!reading_) {
      for (const StreamEntry& e : keep) in_process_.erase(e.entry_id);  // stay pending
      return;
    }
    HandOut(std::move(keep));
    MaybeRead();
  });
  if (!sent) HandOut(std::move(*batch));  // writer down: its writes would wait anyway
}

void RedisJobStore::HandOut(std::vector<StreamEntry> entries) {
  if (entries.empty()) return;
  counters_.entries_read += entries.size();
  if (handler_) {
    handler_(std::move(entries));
  } else {
    spdlog::error("redis: {} entries read with no batch handler set", entries.size());
  }
}

void RedisJobStore::AckDeleted(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  // There is no job left to give an outcome to; acknowledging takes the id off the pending
  // list. Best effort: if the ack is lost, the next drain finds the id again.
  counters_.deleted_entries += ids.size();
  spdlog::warn("redis: {} pending entries were deleted from {} before being processed; acked",
               ids.size(), options_.jobs_stream);
  std::vector<std::string> argv{"XACK", options_.jobs_stream, options_.group};
  argv.insert(argv.end(), ids.begin(), ids.end());
  writer_.Command(argv, [this](redisReply* r) {
    if (r != nullptr && ReplyIsError(r)) ++counters_.errors;
  });
}

void RedisJobStore::DeadLetter(const StreamEntry& e, int64_t deliveries) {
  ++counters_.dead_lettered;
  spdlog::warn("redis: entry {} delivered {} times without an outcome: dead-lettered",
               Untrusted(e.entry_id), deliveries);
  WriteOp op;
  op.script = &kDeadLetterScript;
  op.keys = {options_.jobs_stream, options_.dead_letter_stream, options_.outcomes_stream,
             Key("out:" + e.entry_id)};
  op.args = {e.entry_id,
             options_.group,
             std::to_string(options_.correlation_ttl_ms),
             std::to_string(options_.outcome_maxlen),
             std::to_string(deliveries),
             std::string(EchoableKeyId(e.key_id)),  // the outcome's kid: §1-valid or empty
             "v",
             e.version,
             "kid",
             e.key_id,
             "job",
             e.job,
             "sig",
             e.sig};
  op.done = [this, id = e.entry_id](redisReply*) { in_process_.erase(id); };
  Enqueue(std::move(op));
}

void RedisJobStore::OnClaimTick() {
  if (closing_) return;
  Touch();
  if (!reading_) return;
  reclaim_due_ = true;
  MaybeRead();  // runs now if the reader is idle, else right after the current read
}

void RedisJobStore::Touch() {
  if (in_process_.empty() || touch_outstanding_ || !writer_.ready()) return;
  WriteOp op;
  op.script = &kTouchScript;
  op.must_succeed = false;
  op.keys = {options_.jobs_stream};
  op.args = {options_.group, options_.consumer};
  op.args.insert(op.args.end(), in_process_.begin(), in_process_.end());
  op.done = [this](redisReply* r) {
    touch_outstanding_ = false;
    if (!ReplyIsError(r)) {
      ++counters_.touch_rounds;
    } else if (r != nullptr && !touch_failure_logged_) {
      // An error reply (a lost connection is logged by the connection itself). Typically an
      // ACL without XCLAIM: intake still works, but entries that stay in flight longer than
      // claim_idle_ms may be reclaimed (and sent twice) by another daemon.
      touch_failure_logged_ = true;
      spdlog::warn(
          "redis: refreshing in-flight entries failed: {}{}",
          Untrusted(ReplyString(r), kLogMessageMax),
          ReplyIsAclError(r) ? " (the ACL user lacks a command: see docs/redis.md, ACL)" : "");
    }
  };
  touch_outstanding_ = true;
  Enqueue(std::move(op));
}

void RedisJobStore::PublishStats(std::vector<std::string> field_values, int64_t ttl_ms) {
  if (field_values.empty() || field_values.size() % 2 != 0) return;
  if (closing_ || stats_outstanding_ || !writer_.ready()) return;
  WriteOp op;
  op.script = &kStatsScript;
  op.must_succeed = false;
  op.keys = {Key("stats:" + options_.consumer)};
  op.args.reserve(field_values.size() + 1);
  op.args.push_back(std::to_string(std::max<int64_t>(ttl_ms, 1)));
  for (std::string& f : field_values) op.args.push_back(std::move(f));
  op.done = [this](redisReply*) { stats_outstanding_ = false; };
  stats_outstanding_ = true;
  Enqueue(std::move(op));
}

// ---- Shutdown ---------------------------------------------------------------------------

void RedisJobStore::Close(int64_t timeout_ms, std::function<void()> done) {
  if (closing_) {
    spdlog::error("redis: Close() called twice; the second completion is dropped");
    return;
  }
  closing_ = true;
  reading_ = false;
  closed_ = std::move(done);
  uv_timer_stop(&write_linger_timer_);
  FlushPendingWrites();  // commits batched for the next turn go out with everything else
  uv_timer_stop(&claim_timer_);
  uv_timer_stop(&read_retry_timer_);
  uv_timer_stop(&read_linger_timer_);
  uv_timer_start(
      &close_timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<RedisJobStore*>(t->data);
        if (self->queued_writes() > 0) {
          spdlog::warn("redis: closing with {} writes not confirmed; their entries stay pending",
                       self->queued_writes());
        }
        self->abandon_writes_ = true;
        self->MaybeFinishClose();
      },
      static_cast<uint64_t>(std::max<int64_t>(timeout_ms, 0)), 0);
  MaybeFinishClose();
}

void RedisJobStore::MaybeFinishClose() {
  if (!closing_ || shutting_down_) return;
  if (!abandon_writes_ && (!queue_.empty() || outstanding_writes_ > 0 || gated_items_ > 0)) {
    return;
  }
  FinishClose();
}

void RedisJobStore::FinishClose() {
  shutting_down_ = true;
  abandon_writes_ = true;  // from here on, late replies (and null replies) are ignored
  queue_.clear();
  gate_next_.clear();  // confirmed by the master, not by enough replicas: never reported done
  gate_waiting_.clear();
  parts_left_ = 3;
  // Not graceful: every write worth waiting for has been answered (or given up on), and a
  // graceful disconnect would wait for a BLOCKed read or a hung server.
  reader_.Close(false, [this] { PartClosed(); });
  writer_.Close(false, [this] { PartClosed(); });
  if (!unmatched_.empty()) {
    // Never acknowledged to the SMSC: it sends them again after the next bind.
    spdlog::info("redis: {} receipts still waiting for their submit are left to the SMSC",
                 unmatched_.size());
    unmatched_.clear();
  }
  using loop::AsHandle;
  loop::CloseAll(
      {AsHandle(&claim_timer_), AsHandle(&write_retry_timer_), AsHandle(&read_retry_timer_),
       AsHandle(&close_timer_), AsHandle(&move_timer_), AsHandle(&receipt_retry_timer_),
       AsHandle(&read_linger_timer_), AsHandle(&write_linger_timer_), next_turn_.handle()},
      [this] { PartClosed(); });
}

void RedisJobStore::PartClosed() {
  if (--parts_left_ > 0) return;
  closed_done_ = true;
  if (closed_) {
    auto cb = std::move(closed_);
    closed_ = nullptr;
    cb();
  }
}

}  // namespace sd::redis
