// RedisJobStore as DeferQueue: the deferral script and the mover. Why nothing is lost when
// anything is killed at any point:
// - Defer is one script (ZADD, conditional DEL of the replay record, XACK). Until its reply
//   arrives the entry stays in our pending list: killed before the script ran, the entry is
//   redelivered (own-pending drain after restart, or XAUTOCLAIM by another daemon) and
//   dispatched again; killed after, the job is in the set and the mover brings it back. The
//   write is retried until confirmed, and a retry of a script that already ran finds the entry
//   no longer pending and changes nothing.
// - The mover is one script per chunk (XADD + ZREM per member): a member is either still in
//   the set or already a new entry on the jobs stream, never both, never neither, and several
//   daemons running it at once move each member once.
#include "adapters/redis/delay_queue.h"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "adapters/redis/lua_scripts.h"
#include "adapters/redis/redis_job_store.h"
#include "adapters/redis/redis_reply.h"
#include "adapters/untrusted_log.h"

namespace sd::redis {

std::string EncodeDelayedMember(const StreamEntry& e) {
  std::string out;
  out.reserve(e.version.size() + e.key_id.size() + e.job.size() + e.sig.size() + e.entry_id.size() +
              5 * 8);
  for (std::string_view part :
       {std::string_view(e.version), std::string_view(e.key_id), std::string_view(e.job),
        std::string_view(e.sig), std::string_view(e.entry_id)}) {
    out += std::to_string(part.size());
    out += ':';
    out += part;
  }
  return out;
}

std::optional<StreamEntry> DecodeDelayedMember(std::string_view m) {
  std::string* parts[5];
  StreamEntry e;
  parts[0] = &e.version;
  parts[1] = &e.key_id;
  parts[2] = &e.job;
  parts[3] = &e.sig;
  parts[4] = &e.entry_id;
  size_t i = 0;
  for (std::string* part : parts) {
    const size_t colon = m.find(':', i);
    if (colon == std::string_view::npos || colon == i) return std::nullopt;
    size_t n = 0;
    const auto r = std::from_chars(m.data() + i, m.data() + colon, n);
    if (r.ec != std::errc() || r.ptr != m.data() + colon) return std::nullopt;
    if (n > m.size() - colon - 1) return std::nullopt;  // checked before copying
    part->assign(m.substr(colon + 1, n));
    i = colon + 1 + n;
  }
  if (i != m.size()) return std::nullopt;
  return e;
}

void RedisJobStore::Defer(StreamEntry entry, std::string job_id, int64_t due_ms,
                          std::function<void()> done) {
  WriteOp op;
  op.script = &kDeferScript;
  op.keys = {options_.jobs_stream, options_.delayed_set};
  // The same key kClaimScript sets: the entry that comes back (new id) must be able to claim
  // the job id, or it would be rejected as a replay of itself.
  if (!job_id.empty()) op.keys.push_back(Key("idem:" + job_id));
  op.args = {entry.entry_id, options_.group, options_.consumer, std::to_string(due_ms),
             EncodeDelayedMember(entry)};
  op.done = [this, id = entry.entry_id, done = std::move(done)](redisReply* r) {
    const long long v = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (v == kDeferDone) {
      ++counters_.deferred;
    } else {
      // kDeferGone: the first send ran and its reply was lost, or the entry got an outcome
      // meanwhile; kDeferOtherConsumer: another consumer reclaimed it (we were presumed dead) and
      // handles it. Either way there is nothing left to do here.
      ++counters_.defer_skipped;
    }
    in_process_.erase(id);
    done();
  };
  EnqueueInOrder(std::move(op));
}

void RedisJobStore::MoveDue() {
  if (options_.defer_move_interval_ms <= 0 || closing_ || move_outstanding_ || !writer_.ready()) {
    return;
  }
  WriteOp op;
  op.script = &kMoveDueScript;
  // Best effort: a lost or failed call changes nothing (or completed whole) and the next tick
  // tries again, so it must not hold up Close or pile up while Redis is away.
  op.must_succeed = false;
  op.keys = {options_.delayed_set, options_.jobs_stream};
  op.args = {std::to_string(std::max<int64_t>(options_.defer_move_batch, 1))};
  op.done = [this](redisReply* r) {
    move_outstanding_ = false;
    if (ReplyIsError(r)) {
      // A lost connection is logged by the connection itself and retried on the next tick.
      // An error reply is typically an ACL without ZRANGEBYSCORE/ZREM or a wrong-type key:
      // deferred jobs wait in the set until it is fixed (or another daemon moves them).
      if (r != nullptr && !move_failure_logged_) {
        move_failure_logged_ = true;
        spdlog::warn(
            "redis: moving due jobs from {} failed: {}{}", options_.delayed_set,
            Untrusted(ReplyString(r), kLogMessageMax),
            ReplyIsAclError(r) ? " (the ACL user lacks a command: see docs/redis.md, ACL)" : "");
      }
      return;
    }
    move_failure_logged_ = false;
    auto at = [r](size_t i) -> long long {
      return r->type == REDIS_REPLY_ARRAY && i < r->elements &&
                     r->element[i]->type == REDIS_REPLY_INTEGER
                 ? r->element[i]->integer
                 : 0;
    };
    const long long moved = at(0);
    const long long bad = at(1);
    const long long left = at(2);
    counters_.defer_moved += static_cast<uint64_t>(std::max(moved, 0LL));
    if (bad > 0) {
      counters_.defer_corrupt += static_cast<uint64_t>(bad);
      spdlog::error("redis: {} undecodable members of {} put back on {} as malformed entries", bad,
                    options_.delayed_set, options_.jobs_stream);
    }
    // More due than one chunk: go on at once (next loop turn) instead of the next tick.
    if (left > 0) Later([this] { MoveDue(); });
  };
  move_outstanding_ = true;
  Enqueue(std::move(op));
}

}  // namespace sd::redis
