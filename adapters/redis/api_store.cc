#include "adapters/redis/api_store.h"

#include <hiredis/hiredis.h>

#include "adapters/redis/lua_scripts.h"
#include "adapters/redis/replica_wait.h"

namespace sd::redis {

ApiStore::ApiStore(uv_loop_t* loop, RedisEndpoint endpoint, ApiStoreOptions options)
    : loop_(loop), conn_(loop, std::move(endpoint), "api"), options_(std::move(options)) {}

ApiStore::~ApiStore() = default;

void ApiStore::Start() { conn_.Start(); }

void ApiStore::Close(std::function<void()> done) { conn_.Close(true, std::move(done)); }

void ApiStore::Write(ApiWrite w, std::function<void(ApiWriteResult)> done) {
  const bool idem = !w.idempotency_key.empty();
  const bool replay = !w.replay_token.empty();
  auto argv = std::make_shared<std::vector<std::string>>();
  argv->reserve(10 + 3 * w.jobs.size());
  *argv = {"EVALSHA",
           kApiSubmitScript.sha1,
           "3",
           options_.jobs_stream,
           options_.key_prefix + "api:idem:" + w.family + ":" + (idem ? w.idempotency_key : "-"),
           options_.key_prefix + "api:sig:" + (replay ? w.replay_token : "-"),
           idem ? (w.record ? "1" : "2") : "0",
           replay ? "1" : "0",
           w.body_hash,
           w.response,
           std::to_string(options_.idempotency_ttl_ms),
           std::to_string(std::max<int64_t>(w.replay_ttl_ms, 1)),
           w.family};
  // Each job's status record is one more key, after the three fixed ones.
  (*argv)[2] = std::to_string(3 + w.jobs.size());
  std::vector<std::string> status_keys;
  for (const ApiJob& j : w.jobs) status_keys.push_back(options_.key_prefix + "api:msg:" + j.job_id);
  argv->insert(argv->begin() + 6, status_keys.begin(), status_keys.end());
  for (ApiJob& j : w.jobs) {
    argv->push_back(std::move(j.key_id));
    argv->push_back(std::move(j.job));
    argv->push_back(std::move(j.sig));
    argv->push_back(std::to_string(j.created_ms));
    argv->push_back(std::to_string(std::max<int64_t>(j.status_ttl_ms, 0)));  // 0: no record
  }
  Send(std::move(argv), false, std::move(done));
}

void ApiStore::Send(std::shared_ptr<std::vector<std::string>> argv, bool eval,
                    std::function<void(ApiWriteResult)> done) {
  if (eval) {
    (*argv)[0] = "EVAL";
    (*argv)[1] = kApiSubmitScript.body;
  }
  auto shared_done = std::make_shared<std::function<void(ApiWriteResult)>>(std::move(done));
  const bool sent = conn_.Command(*argv, [this, argv, eval, shared_done](redisReply* r) {
    if (!eval && r != nullptr && ReplyErrorIs(r, "NOSCRIPT")) {
      Send(argv, true, std::move(*shared_done));  // Redis lost its script cache
      return;
    }
    ApiWriteResult res = Interpret(r);
    if (options_.wait_replicas > 0 && res.error.empty() &&
        res.kind != ApiWriteResult::Kind::kReplay) {
      AwaitReplicas(std::move(res), uv_now(loop_), shared_done);
      return;
    }
    (*shared_done)(std::move(res));
  });
  if (!sent) {
    ++counters_.failures;
    ApiWriteResult res;
    res.error = "Redis not connected";
    (*shared_done)(std::move(res));
  }
}

void ApiStore::AwaitReplicas(ApiWriteResult res, uint64_t since_ms,
                             std::shared_ptr<std::function<void(ApiWriteResult)>> done) {
  auto pending = std::make_shared<ApiWriteResult>(std::move(res));
  WaitForReplicas(
      conn_, options_.wait_replicas, options_.wait_timeout_ms,
      [this, since_ms] {
        return uv_now(loop_) - since_ms < static_cast<uint64_t>(options_.give_up_ms);
      },
      [this](bool short_answer) {
        ++counters_.replica_waits;
        if (short_answer) ++counters_.replica_waits_short;
      },
      [this, pending, done](ReplicaWait w) {
        if (w.outcome == ReplicaWait::Outcome::kReplicated) {
          (*done)(std::move(*pending));
          return;
        }
        ++counters_.failures;
        ApiWriteResult failed;
        failed.error = w.outcome == ReplicaWait::Outcome::kLost
                           ? "connection lost before the replicas acknowledged the jobs"
                       : w.outcome == ReplicaWait::Outcome::kGaveUp
                           ? "jobs written, but fewer than wait_replicas replicas acknowledged them"
                           : "WAIT refused: " + w.error;
        (*done)(std::move(failed));
      });
}

void ApiStore::Status(const std::string& job_id, std::function<void(bool, bool, ApiStatus)> done) {
  auto shared = std::make_shared<std::function<void(bool, bool, ApiStatus)>>(std::move(done));
  auto on_reply = [shared](redisReply* r) {
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
  if (!conn_.Command({"HGETALL", options_.key_prefix + "api:msg:" + job_id}, on_reply)) {
    (*shared)(false, false, {});
  }
}

ApiWriteResult ApiStore::Interpret(redisReply* r) {
  ApiWriteResult res;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
      r->element[0]->type != REDIS_REPLY_INTEGER) {
    ++counters_.failures;
    res.error = r == nullptr ? "connection lost before the reply (the jobs may be written)"
                             : "unexpected reply: " + ReplyString(r).substr(0, 200);
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
