#include "adapters/redis/replica_wait.h"

#include <hiredis/hiredis.h>

#include <memory>
#include <utility>

#include "adapters/redis/redis_reply.h"

namespace sd::redis {

namespace {

struct Waiting {
  RedisConnection& conn;
  int64_t replicas;
  int64_t timeout_ms;
  std::function<bool()> again;
  std::function<void(bool)> answered;
  std::function<void(ReplicaWait)> done;
};

void Ask(const std::shared_ptr<Waiting>& w) {
  auto on_reply = [w](redisReply* r) {
    ReplicaWait result;
    if (r != nullptr && r->type == REDIS_REPLY_INTEGER) {
      const bool short_answer = r->integer < w->replicas;
      if (w->answered) w->answered(short_answer);
      if (!short_answer) {
        result.outcome = ReplicaWait::Outcome::kReplicated;
      } else if (w->again()) {
        Ask(w);
        return;
      } else {
        result.outcome = ReplicaWait::Outcome::kGaveUp;
      }
    } else if (r != nullptr) {
      result.outcome = ReplicaWait::Outcome::kRefused;
      result.error = ReplyString(r).substr(0, 200);
    }
    w->done(std::move(result));
  };
  if (!w->conn.Command({"WAIT", std::to_string(w->replicas), std::to_string(w->timeout_ms)},
                       on_reply)) {
    on_reply(nullptr);
  }
}

}  // namespace

void WaitForReplicas(RedisConnection& conn, int64_t replicas, int64_t timeout_ms,
                     std::function<bool()> again, std::function<void(bool)> answered,
                     std::function<void(ReplicaWait)> done) {
  Ask(std::make_shared<Waiting>(
      Waiting{conn, replicas, timeout_ms, std::move(again), std::move(answered), std::move(done)}));
}

}  // namespace sd::redis
