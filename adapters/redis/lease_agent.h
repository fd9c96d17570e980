#pragma once
// The Redis side of the fleet-wide rate limits (docs/limits.md, "Fleet-wide limits"): takes
// the leases the global limits' LeaseBooks want (core/limit_leases.h), runs one script per lease
// against the limit's shared bucket (<prefix>limit:<name>:<value>, lua/limit_lease.lua),
// reports every answer back to the book, and hands unspent tokens back when their lease runs
// out (and at Close). Every want gets an answer: granted, denied with the bucket's retry time,
// or failed (no connection, an error, a lost reply), so a job held for a lease is never held
// for ever.
//
// Its own connection, so a lease never queues behind the job store's large batches. A round
// of leases is one pipelined write; `answered` runs once per round, after its last reply (the
// dispatcher then decides the entries that waited, once, not once per reply).
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapters/loop/uv_kit.h"
#include "adapters/redis/lua_scripts.h"
#include "adapters/redis/redis_connection.h"
#include "core/clock.h"
#include "core/quotas.h"
#include "core/rate_limits.h"

namespace sd::redis {

struct LeaseAgentOptions {
  std::string key_prefix = "sd:";
  int64_t return_every_ms = 100;  // how often expired tokens are looked for and given back
  // [redis] wait_replicas: a lease is spent only once WAIT counts this many replicas (asked
  // again while short), so a failover cannot forget tokens already sent with; lost: the lease
  // counts as failed (strict: the tokens are never used).
  int64_t wait_replicas = 0;
  int64_t wait_timeout_ms = 1'000;
};

struct LeaseAgentCounters {
  uint64_t rounds = 0;         // pipelined rounds of lease scripts
  uint64_t scripts = 0;        // lease and give-back scripts sent
  uint64_t errors = 0;         // error or lost replies (the want answered "failed")
  uint64_t not_connected = 0;  // wants answered "failed" because Redis was not connected
  uint64_t gives_dropped = 0;  // give-backs that could not be sent (tokens stay spent)
  uint64_t quota_warnings = 0;   // quota leases that crossed 80 % of a day's or month's quota
  uint64_t quota_exhausted = 0;  // quota leases that took a day's or month's last segment
  uint64_t replica_waits_short = 0;  // WAITs after a lease with fewer replicas than asked
  template <typename F>
  void ForEach(F&& f) const {
    f("rounds", rounds);
    f("scripts", scripts);
    f("errors", errors);
    f("not_connected", not_connected);
    f("gives_dropped", gives_dropped);
    f("quota_warnings", quota_warnings);
    f("quota_exhausted", quota_exhausted);
    f("replica_waits_short", replica_waits_short);
  }
};

// A quota lease crossed 80 % or 100 % of a quota: reported by the one agent whose lease did.
struct QuotaCrossing {
  std::string subject;  // "key:acme", "tenant:bigco"
  std::string period;   // "day" or "month"
  int level = 0;        // 80 or 100
  int64_t used = 0;     // segments counted after the lease
  int64_t quota = 0;
};

class LeaseAgent {
 public:
  // The global limits in force (the current policy's; may be null when none).
  using LimitsFn = std::function<std::shared_ptr<const RateLimits>()>;

  LeaseAgent(uv_loop_t* loop, const RedisEndpoint& endpoint, LeaseAgentOptions options,
             const Clock& clock, LimitsFn limits, std::function<void()> answered);
  ~LeaseAgent();
  LeaseAgent(const LeaseAgent&) = delete;
  LeaseAgent& operator=(const LeaseAgent&) = delete;

  // Segment quotas (core/quotas.h) lease here too: their snapshot, and who hears of each
  // 80 % / 100 % crossing. Before Start().
  using QuotasFn = std::function<std::shared_ptr<const Quotas>()>;
  using ThresholdFn = std::function<void(const QuotaCrossing&)>;
  void SetQuotas(QuotasFn quotas, ThresholdFn on_threshold) {
    quotas_ = std::move(quotas);
    on_threshold_ = std::move(on_threshold);
  }

  void Start();
  // Asks for what the books want on the next loop turn (never inside the caller).
  void Kick();
  // Gives every unspent token back (best effort, one round), then closes.
  void Close(std::function<void()> done);

  const LeaseAgentCounters& counters() const { return counters_; }
  bool connected() const { return conn_.ready(); }
  // The Redis key of a limit's bucket for one value.
  static std::string BucketKey(const std::string& prefix, const std::string& limit,
                               const std::string& value);
  // A quota counter: <prefix>quota:{<subject>}:<period> ("d:20261205", "m:202612").
  static std::string QuotaKey(const std::string& prefix, const std::string& subject,
                              const std::string& period);

 private:
  // One pipelined round: `answered` runs when its last reply is in.
  struct Round {
    size_t outstanding = 0;
    bool sent_all = false;
    std::function<void()> answered;
    void One() {
      --outstanding;
      Maybe();
    }
    void Maybe() {
      if (sent_all && outstanding == 0 && answered) std::exchange(answered, nullptr)();
    }
  };
  void AskNow();
  bool QuotasWant() const;
  void TakeQuotas(const std::shared_ptr<Round>& round);
  void OnQuotaReply(LeaseBook& book, const QuotaDefinition& d, const std::string& value,
                    redisReply* r);
  void GiveQuotas(std::vector<LeaseBook::Want> tokens);
  void GiveBack(const GlobalLimit& g, std::vector<LeaseBook::Want> tokens);
  void Take(const GlobalLimit& g, LeaseBook::Want want, const std::shared_ptr<Round>& round);
  // wait_replicas: `fn` gets `copy` once the replicas have this connection's writes (null
  // when the connection went first).
  void AwaitReplicas(std::shared_ptr<redisReply> copy,
                     std::shared_ptr<RedisConnection::ReplyFn> fn);
  void SendScript(const LuaScript& script, std::vector<std::string> argv,
                  RedisConnection::ReplyFn fn, bool eval = false);
  void OnTimer();

  RedisConnection conn_;
  LeaseAgentOptions options_;
  const Clock& clock_;
  LimitsFn limits_;
  std::function<void()> answered_;
  QuotasFn quotas_;
  ThresholdFn on_threshold_;
  uv_timer_t timer_;
  loop::NextTurn next_turn_;
  bool kick_posted_ = false;
  bool started_ = false;
  bool closing_ = false;
  LeaseAgentCounters counters_;
};

}  // namespace sd::redis
