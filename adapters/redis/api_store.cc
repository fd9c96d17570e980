#include "adapters/redis/api_store.h"

#include <hiredis/hiredis.h>

#include "adapters/redis/api_status_record.h"
#include "adapters/redis/lua_scripts.h"
#include "adapters/redis/replica_wait.h"

namespace sd::redis {

ApiStore::ApiStore(uv_loop_t* loop, RedisEndpoint endpoint, ApiStoreOptions options)
    : loop_(loop),
      conn_(loop, std::move(endpoint), "api"),
      next_turn_(loop),
      options_(std::move(options)) {}

ApiStore::~ApiStore() = default;

void ApiStore::Start() { conn_.Start(); }

void ApiStore::Close(std::function<void()> done) {
  Flush();  // what was queued goes out first: the graceful close waits for its replies
  auto left = std::make_shared<int>(2);
  auto one = [left, all = std::make_shared<std::function<void()>>(std::move(done))] {
    if (--*left == 0) (*all)();
  };
  loop::CloseAll({next_turn_.handle()}, one);
  conn_.Close(true, one);
}

void ApiStore::Write(ApiWrite w, std::function<void(ApiWriteResult)> done) {
  queued_.push_back({std::move(w), std::move(done)});
  if (!flush_posted_) flush_posted_ = next_turn_.Post([this] { Flush(); });
  if (!flush_posted_) Flush();  // closing: no next turn
}

void ApiStore::AppendWrite(ApiWrite& w, std::vector<std::string>& keys,
                           std::vector<std::string>& args) {
  const bool idem = !w.idempotency_key.empty();
  const bool replay = !w.replay_token.empty();
  const int64_t replay_ttl_ms = std::max<int64_t>(w.replay_ttl_ms, 1);
  keys.push_back(options_.key_prefix + "api:idem:" + w.family + ":" +
                 (idem ? w.idempotency_key : "-"));
  keys.push_back(options_.key_prefix + "api:sig:" + (replay ? w.replay_token : "-"));
  for (const ApiJob& j : w.jobs) {
    keys.push_back(options_.key_prefix + std::string(kApiStatusPrefix) + j.job_id);
  }
  args.push_back(idem ? (w.record ? "1" : "2") : "0");
  args.push_back(replay ? "1" : "0");
  // Both "" without an Idempotency-Key (ApiWrite): only its record keeps them.
  args.push_back(std::move(w.body_hash));
  args.push_back(std::move(w.response));
  args.push_back(std::to_string(replay_ttl_ms));
  args.push_back(std::to_string(w.jobs.size()));
  for (size_t i = 0; i < w.jobs.size(); ++i) {
    ApiJob& j = w.jobs[i];
    std::string record;  // "": no record
    int64_t ttl_ms = j.status_ttl_ms;
    if (ttl_ms > 0) {
      AppendStatusField(record, "fam", w.family);
      AppendStatusField(record, "kid", j.key_id);
      AppendStatusField(record, "created", std::to_string(j.created_ms));
      AppendStatusField(record, "status", "queued");
      // The first job's record is the replay record of a signed request (api_submit.lua): it
      // lives at least as long as the signature could be sent again.
      if (i == 0 && replay) ttl_ms = std::max(ttl_ms, replay_ttl_ms);
    }
    args.push_back(std::move(j.key_id));
    args.push_back(std::move(j.job));
    args.push_back(std::move(j.sig));
    args.push_back(std::move(record));
    args.push_back(std::to_string(ttl_ms));
  }
}

void ApiStore::Flush() {
  flush_posted_ = false;
  std::vector<Queued> queued = std::move(queued_);
  queued_.clear();
  size_t i = 0;
  while (i < queued.size()) {
    std::vector<std::string> keys{options_.jobs_stream};
    std::vector<std::string> args{std::to_string(options_.idempotency_ttl_ms)};
    auto batch = std::make_shared<Batch>();
    size_t jobs = 0;
    for (; i < queued.size(); ++i) {
      const size_t n = queued[i].write.jobs.size();
      if (!batch->empty() && jobs + n > options_.max_jobs_per_call) break;
      jobs += n;
      AppendWrite(queued[i].write, keys, args);
      batch->push_back(std::move(queued[i].done));
    }
    auto argv = std::make_shared<std::vector<std::string>>();
    argv->reserve(3 + keys.size() + args.size());
    *argv = {"EVALSHA", kApiSubmitScript.sha1, std::to_string(keys.size())};
    std::move(keys.begin(), keys.end(), std::back_inserter(*argv));
    std::move(args.begin(), args.end(), std::back_inserter(*argv));
    ++counters_.calls;
    Send(std::move(argv), false, std::move(batch));
  }
}

void ApiStore::Send(std::shared_ptr<std::vector<std::string>> argv, bool eval,
                    std::shared_ptr<Batch> batch) {
  if (eval) {
    (*argv)[0] = "EVAL";
    (*argv)[1] = kApiSubmitScript.body;
  }
  const bool sent = conn_.Command(*argv, [this, argv, eval, batch](redisReply* r) {
    if (!eval && r != nullptr && ReplyErrorIs(r, "NOSCRIPT")) {
      Send(argv, true, batch);  // Redis lost its script cache
      return;
    }
    Deliver(r, batch);
  });
  if (!sent) Deliver(nullptr, batch);
}

// One result per write of the batch. A call that failed as a whole fails every write in it:
// the API answers 503 and the producer retries with the same Idempotency-Key.
void ApiStore::Deliver(redisReply* r, const std::shared_ptr<Batch>& batch) {
  auto results = std::make_shared<std::vector<ApiWriteResult>>();
  const bool whole = r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements == batch->size();
  for (size_t i = 0; i < batch->size(); ++i) {
    if (whole) {
      results->push_back(Interpret(r->element[i]));
      continue;
    }
    ++counters_.failures;
    ApiWriteResult res;
    res.error = !conn_.ready() && r == nullptr ? "Redis not connected"
                : r == nullptr ? "connection lost before the reply (the jobs may be written)"
                               : "unexpected reply: " + ReplyString(r).substr(0, 200);
    results->push_back(std::move(res));
  }
  bool wait = false;
  for (const ApiWriteResult& res : *results) {
    wait = wait || (res.error.empty() && res.kind != ApiWriteResult::Kind::kReplay);
  }
  if (options_.wait_replicas > 0 && wait) {
    AwaitReplicas(std::move(results), uv_now(loop_), batch);
    return;
  }
  for (size_t i = 0; i < batch->size(); ++i) (*batch)[i](std::move((*results)[i]));
}

void ApiStore::AwaitReplicas(std::shared_ptr<std::vector<ApiWriteResult>> results,
                             uint64_t since_ms, std::shared_ptr<Batch> batch) {
  WaitForReplicas(
      conn_, options_.wait_replicas, options_.wait_timeout_ms,
      [this, since_ms] {
        return uv_now(loop_) - since_ms < static_cast<uint64_t>(options_.give_up_ms);
      },
      [this](bool short_answer) {
        ++counters_.replica_waits;
        if (short_answer) ++counters_.replica_waits_short;
      },
      [this, results, batch](ReplicaWait w) {
        const char* error =
            w.outcome == ReplicaWait::Outcome::kReplicated ? nullptr
            : w.outcome == ReplicaWait::Outcome::kLost
                ? "connection lost before the replicas acknowledged the jobs"
            : w.outcome == ReplicaWait::Outcome::kGaveUp
                ? "jobs written, but fewer than wait_replicas replicas acknowledged them"
                : nullptr;
        for (size_t i = 0; i < batch->size(); ++i) {
          ApiWriteResult& res = (*results)[i];
          // A replay wrote nothing (and a failure is one already): no replica needed.
          if (w.outcome != ReplicaWait::Outcome::kReplicated && res.error.empty() &&
              res.kind != ApiWriteResult::Kind::kReplay) {
            ++counters_.failures;
            ApiWriteResult failed;
            failed.error = error != nullptr ? error : "WAIT refused: " + w.error;
            res = std::move(failed);
          }
          (*batch)[i](std::move(res));
        }
      });
}

void ApiStore::Status(const std::string& job_id, std::function<void(bool, bool, ApiStatus)> done) {
  auto shared = std::make_shared<std::function<void(bool, bool, ApiStatus)>>(std::move(done));
  const std::string legacy = options_.key_prefix + std::string(kApiLegacyStatusPrefix) + job_id;
  // A record made before the string format is a hash (api_status_record.h): read when the
  // string is not there.
  auto on_legacy = [shared](redisReply* r) {
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY) {
      (*shared)(false, false, {});
      return;
    }
    ApiStatus s;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
      s.emplace_back(ReplyString(r->element[i]), ReplyString(r->element[i + 1]));
    }
    const bool found = !s.empty();
    (*shared)(true, found, std::move(s));
  };
  auto on_reply = [this, shared, legacy, on_legacy](redisReply* r) {
    if (r != nullptr && r->type == REDIS_REPLY_NIL) {
      if (!conn_.Command({"HGETALL", legacy}, on_legacy)) (*shared)(false, false, {});
      return;
    }
    if (r == nullptr || r->type != REDIS_REPLY_STRING) {
      (*shared)(false, false, {});
      return;
    }
    ApiStatus s;
    const bool whole = DecodeStatusRecord(std::string_view(r->str, r->len), s);
    // Only our scripts write the record; a damaged one is answered as far as it reads.
    if (!whole) ++counters_.failures;
    const bool found = !s.empty();
    (*shared)(true, found, std::move(s));
  };
  const std::string key = options_.key_prefix + std::string(kApiStatusPrefix) + job_id;
  if (!conn_.Command({"GET", key}, on_reply)) (*shared)(false, false, {});
}

// One write's reply inside the batch's: {0, ids...}, {1, stored} or {2}.
ApiWriteResult ApiStore::Interpret(redisReply* r) {
  ApiWriteResult res;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
      r->element[0]->type != REDIS_REPLY_INTEGER) {
    ++counters_.failures;
    res.error =
        "unexpected reply: " + (r == nullptr ? std::string("none") : ReplyString(r).substr(0, 200));
    return res;
  }
  const long long code = r->element[0]->integer;
  if (code == 1 && r->elements == 2) {
    const std::string stored = ReplyString(r->element[1]);
    ++counters_.idempotent;
    res.kind = ApiWriteResult::Kind::kIdempotent;
    res.stored_body_hash = stored.substr(0, 64);
    res.stored_response = stored.size() > 64 ? stored.substr(64) : "";
    return res;
  }
  if (code == 2) {
    ++counters_.replays;
    res.kind = ApiWriteResult::Kind::kReplay;
    return res;
  }
  ++counters_.writes;
  counters_.jobs += r->elements - 1;
  res.kind = ApiWriteResult::Kind::kWritten;
  return res;
}

}  // namespace sd::redis
