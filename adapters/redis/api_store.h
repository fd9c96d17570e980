#pragma once
// The Redis side of the producers' HTTPS API: puts the jobs it accepted on the jobs stream, in
// one script with the idempotency and replay records (lua_scripts.h, kApiSubmitScript), on a
// connection of its own so a burst of API requests never queues behind the dispatcher's
// blocking reads. Exactly the entries a Redis producer would XADD: dispatch cannot tell them
// apart, and their signatures verify under the key's own secret.
//
// The writes of one loop turn go in one script call (each still its own atomic step, in
// order): under load, one call and one round trip carry tens of requests, which is most of
// what the API costs Redis per request (docs/benchmarks.md).
#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "adapters/loop/uv_kit.h"
#include "adapters/redis/redis_connection.h"
#include "core/ports.h"

namespace sd::redis {

struct ApiStoreOptions {
  std::string key_prefix = "sd:";
  std::string jobs_stream = "sd:jobs";
  int64_t idempotency_ttl_ms = 86'400'000;  // 24 h: how long an Idempotency-Key holds
  // [redis] wait_replicas: a stored (or idempotently found) write is reported only after
  // `WAIT wait_replicas wait_timeout_ms` counted that many replicas, asked again until
  // give_up_ms has passed since the reply (then an error: the API answers 503, and a retry
  // with the same Idempotency-Key waits again). 0 = off.
  int64_t wait_replicas = 0;
  int64_t wait_timeout_ms = 1'000;
  int64_t give_up_ms = 10'000;
  // One script call carries at most this many jobs (and at least one write): a script blocks
  // Redis while it runs.
  size_t max_jobs_per_call = 512;
};

struct ApiStoreCounters {
  uint64_t calls = 0;        // script calls (each carries one or more writes)
  uint64_t writes = 0;       // writes that wrote (jobs, records)
  uint64_t jobs = 0;         // entries XADDed
  uint64_t idempotent = 0;   // answered from an idempotency record
  uint64_t replays = 0;      // signature used before
  uint64_t failures = 0;     // not connected, lost reply or error
  uint64_t replica_waits = 0;        // WAIT calls (wait_replicas)
  uint64_t replica_waits_short = 0;  // of those, answered with fewer replicas than asked
};

class ApiStore : public ApiJobSink {
 public:
  ApiStore(uv_loop_t* loop, RedisEndpoint endpoint, ApiStoreOptions options);
  ~ApiStore() override;
  ApiStore(const ApiStore&) = delete;
  ApiStore& operator=(const ApiStore&) = delete;

  void Start();
  void Close(std::function<void()> done);
  bool ready() const { return conn_.ready(); }

  void Write(ApiWrite write, std::function<void(ApiWriteResult)> done) override;
  void Status(const std::string& job_id,
              std::function<void(bool ok, bool found, ApiStatus status)> done) override;
  const ApiStoreCounters& counters() const { return counters_; }

 private:
  struct Queued {
    ApiWrite write;
    std::function<void(ApiWriteResult)> done;
  };
  using Batch = std::vector<std::function<void(ApiWriteResult)>>;
  void Flush();
  void Send(std::shared_ptr<std::vector<std::string>> argv, bool eval,
            std::shared_ptr<Batch> batch);
  void AppendWrite(ApiWrite& w, std::vector<std::string>& keys, std::vector<std::string>& args);
  ApiWriteResult Interpret(redisReply* r);
  void Deliver(redisReply* r, const std::shared_ptr<Batch>& batch);
  // `done(res)` once wait_replicas replicas have this connection's writes (or an error).
  void AwaitReplicas(std::shared_ptr<std::vector<ApiWriteResult>> results, uint64_t since_ms,
                     std::shared_ptr<Batch> batch);

  uv_loop_t* loop_;

  RedisConnection conn_;
  loop::NextTurn next_turn_;
  bool flush_posted_ = false;
  std::vector<Queued> queued_;
  ApiStoreOptions options_;
  ApiStoreCounters counters_;
};

}  // namespace sd::redis
