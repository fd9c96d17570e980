#include "adapters/redis/hash_watch.h"

#include <cstdlib>

#include "adapters/redis/redis_reply.h"

namespace sd::redis {

void HashWatch::Poll() {
  if (poll_outstanding_ || load_outstanding_ || !conn_.ready()) return;
  poll_outstanding_ = conn_.Command({"GET", version_key_}, [this](redisReply* r) {
    poll_outstanding_ = false;
    if (r == nullptr || ReplyIsError(r)) return;
    const long long v = r->type == REDIS_REPLY_STRING ? std::atoll(r->str) : 0;
    if (version_ && *version_ == v) return;
    version_ = v;
    Load();
  });
}

void HashWatch::Load() {
  if (load_outstanding_ || !conn_.ready()) return;
  load_outstanding_ = conn_.Command({"HGETALL", hash_}, [this](redisReply* r) {
    load_outstanding_ = false;
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY || !on_loaded_(r)) version_.reset();
  });
}

}  // namespace sd::redis
