// RedisJobStore::SampleBacklog: the jobs stream's backlog for the metrics endpoint, from one
// XINFO GROUPS per stats interval (Redis keeps the group's lag and pending count itself, so
// this costs one small reply however long the stream is).
#include <hiredis/hiredis.h>

#include <string_view>

#include "adapters/redis/redis_job_store.h"

namespace sd::redis {
namespace {

int64_t IntegerOr(const redisReply* r, int64_t fallback) {
  return r != nullptr && r->type == REDIS_REPLY_INTEGER ? static_cast<int64_t>(r->integer)
                                                        : fallback;
}

}  // namespace

void RedisJobStore::SampleBacklog() {
  if (closing_ || backlog_outstanding_ || !writer_.ready()) return;
  backlog_outstanding_ = true;
  const bool sent =
      writer_.Command({"XINFO", "GROUPS", options_.jobs_stream}, [this](redisReply* reply) {
        backlog_outstanding_ = false;
        if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) return;  // unknown: keep
        for (size_t g = 0; g < reply->elements; ++g) {
          const redisReply* group = reply->element[g];
          if (group == nullptr || group->type != REDIS_REPLY_ARRAY) continue;
          Backlog seen;
          bool ours = false;
          for (size_t i = 0; i + 1 < group->elements; i += 2) {
            const redisReply* k = group->element[i];
            const redisReply* v = group->element[i + 1];
            if (k == nullptr || k->type != REDIS_REPLY_STRING) continue;
            const std::string_view key(k->str, k->len);
            if (key == "name" && v != nullptr && v->type == REDIS_REPLY_STRING) {
              ours = std::string_view(v->str, v->len) == options_.group;
            } else if (key == "pending") {
              seen.pending = IntegerOr(v, -1);
            } else if (key == "lag") {
              seen.lag = IntegerOr(v, -1);  // nil when Redis cannot tell (after deletions)
            }
          }
          if (ours) backlog_ = seen;
        }
      });
  if (!sent) backlog_outstanding_ = false;
}

}  // namespace sd::redis
