#include "adapters/redis/lease_agent.h"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "adapters/redis/lua_scripts.h"
#include "adapters/redis/redis_reply.h"
#include "adapters/redis/replica_wait.h"
#include "adapters/untrusted_log.h"

namespace sd::redis {

LeaseAgent::LeaseAgent(uv_loop_t* loop, const RedisEndpoint& endpoint, LeaseAgentOptions options,
                       const Clock& clock, LimitsFn limits, std::function<void()> answered)
    : conn_(loop, endpoint, "leases"),
      options_(std::move(options)),
      clock_(clock),
      limits_(std::move(limits)),
      answered_(std::move(answered)),
      next_turn_(loop) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
}

LeaseAgent::~LeaseAgent() = default;

std::string LeaseAgent::BucketKey(const std::string& prefix, const std::string& limit,
                                  const std::string& value) {
  // A global limit's name has no ':' (ValidateRateLimits), so the key names one bucket.
  return prefix + "limit:" + limit + ":" + value;
}

void LeaseAgent::Start() {
  if (started_) return;
  started_ = true;
  // Wants made while Redis was away were answered "failed"; nothing to resend on ready.
  conn_.Start();
  const auto every = static_cast<uint64_t>(options_.return_every_ms);
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<LeaseAgent*>(t->data)->OnTimer(); }, every, every);
}

void LeaseAgent::Kick() {
  if (closing_ || kick_posted_) return;
  kick_posted_ = true;
  next_turn_.Post([this] {
    kick_posted_ = false;
    AskNow();
  });
}

void LeaseAgent::OnTimer() {
  if (closing_) return;
  const int64_t now = clock_.NowMs();
  if (const std::shared_ptr<const RateLimits> limits = limits_()) {
    for (const GlobalLimit& g : limits->Globals()) {
      std::vector<LeaseBook::Want> expired = g.state->leases->TakeExpired(now);
      if (!expired.empty()) GiveBack(g, std::move(expired));
    }
  }
  if (const std::shared_ptr<const Quotas> quotas = quotas_ ? quotas_() : nullptr) {
    std::vector<LeaseBook::Want> expired = quotas->book().TakeExpired(now);
    if (!expired.empty()) GiveQuotas(std::move(expired));
  }
  AskNow();  // a want a kick missed (none should) is not left waiting
}

void LeaseAgent::AskNow() {
  if (closing_) return;
  const std::shared_ptr<const RateLimits> limits = limits_();
  const bool limits_want = limits != nullptr && limits->WantsLeases();
  if (!limits_want && !QuotasWant()) return;
  auto round = std::make_shared<Round>();
  round->answered = answered_;
  if (limits_want) {
    for (const GlobalLimit& g : limits->Globals()) {
      for (LeaseBook::Want& w : g.state->leases->TakeWants()) Take(g, std::move(w), round);
    }
  }
  TakeQuotas(round);
  ++counters_.rounds;
  round->sent_all = true;
  round->Maybe();
}

bool LeaseAgent::QuotasWant() const {
  const std::shared_ptr<const Quotas> quotas = quotas_ ? quotas_() : nullptr;
  return quotas != nullptr && quotas->book().HasWants();
}

void LeaseAgent::Take(const GlobalLimit& g, LeaseBook::Want want,
                      const std::shared_ptr<Round>& round) {
  LeaseBook* book = g.state->leases.get();
  if (!conn_.ready()) {
    ++counters_.not_connected;
    book->Failed(want.value, clock_.NowMs());
    return;
  }
  const int64_t interval_us = (g.params.emission_ns + 999) / 1000;  // rounded up: stricter
  std::vector<std::string> argv{"EVALSHA",
                                kLimitLeaseScript.sha1,
                                "1",
                                BucketKey(options_.key_prefix, g.name, want.value),
                                "take",
                                std::to_string(interval_us),
                                std::to_string(interval_us * g.params.burst),
                                std::to_string(want.units)};
  ++round->outstanding;
  // The book is kept alive by the callback: a reload may drop the limit meanwhile.
  SendScript(kLimitLeaseScript, std::move(argv),
             [this, state = g.state, value = std::move(want.value), round](redisReply* r) {
               const int64_t now = clock_.NowMs();
               if (r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
                   r->element[0]->type == REDIS_REPLY_INTEGER &&
                   r->element[1]->type == REDIS_REPLY_INTEGER) {
                 state->leases->Granted(value, r->element[0]->integer, r->element[1]->integer, now);
               } else {
                 ++counters_.errors;
                 spdlog::warn("leases: a lease for '{}' failed: {}", Untrusted(value),
                              r == nullptr ? std::string("connection lost") : ReplyString(r));
                 state->leases->Failed(value, now);
               }
               round->One();
             });
}

void LeaseAgent::GiveBack(const GlobalLimit& g, std::vector<LeaseBook::Want> tokens) {
  const int64_t interval_us = (g.params.emission_ns + 999) / 1000;
  for (LeaseBook::Want& t : tokens) {
    if (!conn_.ready()) {
      // They stay spent in the bucket: stricter, never looser.
      ++counters_.gives_dropped;
      continue;
    }
    SendScript(
        kLimitLeaseScript,
        {"EVALSHA", kLimitLeaseScript.sha1, "1", BucketKey(options_.key_prefix, g.name, t.value),
         "give", std::to_string(interval_us), std::to_string(t.units)},
        [this](redisReply* r) {
          if (r == nullptr || ReplyIsError(r)) ++counters_.gives_dropped;
        });
  }
}

void LeaseAgent::SendScript(const LuaScript& script, std::vector<std::string> argv,
                            RedisConnection::ReplyFn fn, bool eval) {
  if (eval) {
    argv[0] = "EVAL";
    argv[1] = script.body;
  }
  ++counters_.scripts;
  auto shared_argv = std::make_shared<std::vector<std::string>>(std::move(argv));
  auto shared_fn = std::make_shared<RedisConnection::ReplyFn>(std::move(fn));
  const bool sent =
      conn_.Command(*shared_argv, [this, &script, shared_argv, shared_fn, eval](redisReply* r) {
        if (!eval && r != nullptr && ReplyErrorIs(r, "NOSCRIPT")) {
          SendScript(script, std::move(*shared_argv), std::move(*shared_fn), true);  // flushed
          return;
        }
        if (options_.wait_replicas <= 0 || r == nullptr || ReplyIsError(r)) {
          (*shared_fn)(r);
          return;
        }
        AwaitReplicas(std::shared_ptr<redisReply>(CopyReply(r), freeReplyObject), shared_fn);
      });
  if (!sent) (*shared_fn)(nullptr);
}

void LeaseAgent::AwaitReplicas(std::shared_ptr<redisReply> copy,
                               std::shared_ptr<RedisConnection::ReplyFn> fn) {
  // Asked again while too few replicas answer, unless closing (then the lease counts as taken:
  // the connection's close gives unspent tokens back).
  WaitForReplicas(
      conn_, options_.wait_replicas, options_.wait_timeout_ms, [this] { return !closing_; },
      [this](bool short_answer) {
        if (short_answer && !closing_) ++counters_.replica_waits_short;
      },
      [copy, fn](ReplicaWait w) {
        const bool answered = w.outcome == ReplicaWait::Outcome::kReplicated ||
                              w.outcome == ReplicaWait::Outcome::kGaveUp;
        (*fn)(answered ? copy.get() : nullptr);
      });
}

void LeaseAgent::Close(std::function<void()> done) {
  if (closing_) return;
  // Unspent tokens go back first, on the connection's graceful close.
  if (const std::shared_ptr<const RateLimits> limits = limits_()) {
    for (const GlobalLimit& g : limits->Globals()) {
      std::vector<LeaseBook::Want> held = g.state->leases->TakeAll();
      if (!held.empty()) GiveBack(g, std::move(held));
    }
  }
  if (const std::shared_ptr<const Quotas> quotas = quotas_ ? quotas_() : nullptr) {
    std::vector<LeaseBook::Want> held = quotas->book().TakeAll();
    if (!held.empty()) GiveQuotas(std::move(held));
  }
  closing_ = true;
  uv_timer_stop(&timer_);
  auto pending = std::make_shared<int>(2);
  auto one = [pending, done = std::move(done)]() mutable {
    if (--*pending == 0 && done) std::exchange(done, nullptr)();
  };
  next_turn_.Drain();
  loop::CloseAll({loop::AsHandle(&timer_), next_turn_.handle()}, one);
  conn_.Close(true, one);
}

}  // namespace sd::redis
