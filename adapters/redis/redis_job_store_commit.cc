// RedisJobStore's commit batches without Lua where they can do without (redis_job_store.h).
//
// A commit's one decision is whether its entry's outcome is written yet. The script decides
// it inside Redis, but Redis spent more on interpreting it (and on turning ~35 arguments per
// job into Lua strings) than on the commands it ran. Almost every commit is of an entry this
// daemon claimed and nobody else touched, so the batch goes in two round trips instead:
//
//   1. WATCH every record (and API status record), MGET the records, EXISTS the status
//      records (either format), TYPE of the outcome stream: nothing written, nothing else
//      sent meanwhile.
//   2. Every record names its entry (ours) or "<entry>|done" (written before): MULTI, for each
//      of ours the outcome XADD, the record marked done, its correlation records, its status
//      record; XACK of the whole batch; EXEC. EXEC runs nothing if any watched key changed
//      since step 1 (another daemon's commit of the same entry, an expiry): the batch is
//      checked again. Any other answer (no record, another entry's record, a guard key, an
//      outcome key that is not a stream, a status record in the format before
//      api_status_record.h's, an ACL without WATCH) sends the script, which handles every
//      case, as before.
//
// So an outcome is still written at most once per entry. One case the script covered
// atomically is now two steps: an outcome XADD refused at run time inside EXEC (the outcome
// key replaced by a non-stream between steps 1 and 2). The records it had marked are
// restored at once and the batch is retried like any error; only a daemon killed between
// that EXEC and the restore could lose those outcomes.
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

#include "adapters/redis/lua_scripts.h"
#include "adapters/redis/redis_job_store.h"
#include "adapters/redis/redis_reply.h"
#include "adapters/untrusted_log.h"

namespace sd::redis {

namespace {

// One entry's place in a commit batch (the kCommitManyScript layout, redis_job_store.h).
struct CommitView {
  const std::string* idem;
  const std::string* entry;
  size_t ncorr, nf;
  bool api;           // an API job: its status record's key and the legacy one follow
  size_t corr_key;    // index of its first correlation key in op.keys
  size_t fields;      // index of its first outcome field in op.args
  size_t corr_value;  // index of its first correlation value in op.args
  size_t api_key;     // index of its status record's key in op.keys (api)
};

size_t Count(const std::string& s) { return static_cast<size_t>(std::stoul(s)); }

}  // namespace

struct RedisJobStore::CommitCheck : PlainCheck {
  std::vector<CommitView> views;
  std::vector<int8_t> state;      // per entry: 1 ours, 2 done before, 0 anything else
  std::vector<uint8_t> api_live;  // per entry: its status record exists
  std::vector<std::string> done_values;  // "<entry>|done" per entry, alive until sent
  std::vector<size_t> xadd_at;           // per entry: its XADD's index in EXEC's reply, or -1
};

void RedisJobStore::SendCommitCheck(const std::shared_ptr<WriteOp>& op) {
  if (plain_refused_) {
    SendOpScript(op);
    return;
  }
  auto c = std::make_shared<CommitCheck>();
  const size_t n = op->commits.size();
  c->views.reserve(n);
  c->state.assign(n, 0);
  c->api_live.assign(n, 0);
  for (const auto& [k, a] : op->commits) {
    CommitView v{&op->keys[k + 1],
                 &op->args[a],
                 Count(op->args[a + 1]),
                 Count(op->args[a + 2]),
                 op->args[a + 3] == "1",
                 k + 2,
                 a + 4,
                 0,
                 0};
    v.corr_value = v.fields + v.nf;
    v.api_key = v.corr_key + v.ncorr;
    c->views.push_back(v);
  }
  static const std::string kWatch = "WATCH", kMget = "MGET";
  ArgsClear();
  Arg(kWatch);
  for (const CommitView& v : c->views) Arg(*v.idem);
  for (const CommitView& v : c->views) {
    if (v.api) {
      Arg(op->keys[v.api_key]);
      Arg(op->keys[v.api_key + 1]);
    }
  }
  bool sent = SendWatch(0, c);
  size_t from = send_ptrs_.size();
  Arg(kMget);
  for (const CommitView& v : c->views) Arg(*v.idem);
  sent = sent && SendArgs(from, [c](redisReply* r) {
    if (r == nullptr) c->lost = true;
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != c->views.size()) {
      c->plain = false;
      return;
    }
    for (size_t i = 0; i < r->elements; ++i) {
      const redisReply* e = r->element[i];
      if (e->type != REDIS_REPLY_STRING) continue;  // no record: the script decides
      const std::string_view value(e->str, e->len);
      const std::string& entry = *c->views[i].entry;
      if (value == entry) {
        c->state[i] = 1;
      } else if (value.size() == entry.size() + 5 && value.substr(0, entry.size()) == entry &&
                 value.substr(entry.size()) == "|done") {
        c->state[i] = 2;
      }
    }
  });
  sent = sent && SendApiStatusChecks(*op, c);
  sent = sent && SendTypeCheck(op->keys[0], c, [this, op, c] {
    OnPlainChecked(op, *c, [&] {
      for (int8_t s : c->state) {
        if (s == 0) return false;
      }
      return SendPlainCommit(op, c);
    });
  });
  HoldOrRequeue(op, sent);
}

// Step 1's look at the API jobs' status records: whether each exists (the one step 2 updates),
// and that none is in the format before (a hash the script updates). False as SendArgs.
bool RedisJobStore::SendApiStatusChecks(const WriteOp& op, const std::shared_ptr<CommitCheck>& c) {
  static const std::string kExists = "EXISTS";
  bool sent = true;
  for (size_t i = 0; sent && i < c->views.size(); ++i) {
    if (!c->views[i].api) continue;
    size_t from = send_ptrs_.size();
    Arg(kExists);
    Arg(op.keys[c->views[i].api_key]);
    sent = SendArgs(from, [c, i](redisReply* r) {
      if (r == nullptr) c->lost = true;
      if (r == nullptr || r->type != REDIS_REPLY_INTEGER) c->plain = false;
      if (r != nullptr && r->type == REDIS_REPLY_INTEGER) c->api_live[i] = r->integer == 1;
    });
    from = send_ptrs_.size();
    Arg(kExists);
    Arg(op.keys[c->views[i].api_key + 1]);
    sent = sent && SendArgs(from, [c](redisReply* r) {
             if (r == nullptr) c->lost = true;
             // A legacy (hash) status record: the script updates it.
             if (r == nullptr || r->type != REDIS_REPLY_INTEGER || r->integer != 0)
               c->plain = false;
           });
  }
  return sent;
}

// Step 2: the writes of the entries that are ours, then one XACK naming every entry.
bool RedisJobStore::SendPlainCommit(const std::shared_ptr<WriteOp>& op,
                                    const std::shared_ptr<CommitCheck>& c) {
  static const std::string kXadd = "XADD", kMaxlen = "MAXLEN", kApprox = "~", kStar = "*",
                           kSet = "SET", kXx = "XX", kKeepTtl = "KEEPTTL", kPx = "PX",
                           kAppend = "APPEND", kXack = "XACK";
  const std::string& maxlen = op->args[2];
  const std::string& corr_ttl = op->args[1];
  ArgsClear();
  auto args = [&](const auto&... s) { (Arg(s), ...); };
  c->done_values.reserve(c->views.size());  // no reallocation: the pointers stay valid
  c->xadd_at.assign(c->views.size(), SIZE_MAX);
  for (size_t i = 0; i < c->views.size(); ++i) {
    const CommitView& v = c->views[i];
    if (c->state[i] != 1) continue;  // written before: only acknowledged
    c->xadd_at[i] = send_argcs_.size();
    args(kXadd, op->keys[0]);
    if (Trims(maxlen)) args(kMaxlen, kApprox, maxlen);
    Arg(kStar);
    for (size_t f = 0; f < v.nf; ++f) Arg(op->args[v.fields + f]);
    EndCommand();
    c->done_values.push_back(*v.entry + "|done");
    args(kSet, *v.idem, c->done_values.back(), kXx, kKeepTtl);
    EndCommand();
    for (size_t q = 0; q < v.ncorr; ++q) {
      args(kSet, op->keys[v.corr_key + q], op->args[v.corr_value + q], kPx, corr_ttl);
      EndCommand();
    }
    if (v.api && c->api_live[i]) {
      args(kAppend, op->keys[v.api_key], op->args[v.corr_value + v.ncorr]);
      EndCommand();
    }
  }
  args(kXack, op->keys[1], op->args[0]);
  for (const CommitView& v : c->views) Arg(*v.entry);
  EndCommand();
  const bool sent =
      SendArgsTransaction([this, op, c](redisReply* r) { OnPlainCommitReply(op, *c, r); });
  if (sent) ++counters_.plain_commits;
  return sent;
}

void RedisJobStore::OnPlainCommitReply(const std::shared_ptr<WriteOp>& op, const CommitCheck& c,
                                       redisReply* r) {
  if (!PlainExecRan(op, r, counters_.commit_rechecks)) return;
  bool failed = false;
  for (size_t i = 0; i < c.views.size(); ++i) {
    const size_t at = c.xadd_at[i];
    if (at == SIZE_MAX) continue;
    if (at < r->elements && r->element[at]->type != REDIS_REPLY_ERROR) {
      op->written[i] = 1;
      continue;
    }
    // Refused at run time: the rest of the transaction ran, this entry's record says done
    // without an outcome. Restored now, ahead of the retry.
    failed = true;
    if (at < r->elements) {
      spdlog::error("redis: commit (plain) outcome XADD: {} (retrying)",
                    Untrusted(ReplyString(r->element[at]), kLogMessageMax));
    }
    writer_.Command({"SET", *c.views[i].idem, *c.views[i].entry, "XX", "KEEPTTL"},
                    [](redisReply*) {});
  }
  if (failed) {
    Requeue(op, true);
    return;
  }
  write_backoff_.Reset();
  Replicated(op, [op] { op->commits_done(op->written); });
  MaybeFinishClose();
}

void RedisJobStore::MarkCommitsWritten(const std::shared_ptr<WriteOp>& op,
                                       redisReply* script_reply) {
  if (script_reply != nullptr) {
    for (size_t i = 0; i < op->written.size(); ++i) {
      const redisReply* e = script_reply->type == REDIS_REPLY_ARRAY && i < script_reply->elements
                                ? script_reply->element[i]
                                : nullptr;
      if (e != nullptr && e->type == REDIS_REPLY_INTEGER && e->integer == kCommitWritten) {
        op->written[i] = 1;
      }
    }
  }
}

}  // namespace sd::redis
