// RedisJobStore's pointer records for a sharded deployment (sharded_job_store.h): which shard
// committed a carrier's message id. Plain SET / GET in a MULTI, through the writer's queue, so
// they are retried while Redis is away and a pointer is never reported written before Redis
// (and, with wait_replicas, its replicas) has it.
#include <hiredis/hiredis.h>

#include <charconv>
#include <string>
#include <utility>
#include <vector>

#include "adapters/redis/lua_scripts.h"
#include "adapters/redis/redis_job_store.h"
#include "core/shard_rule.h"

namespace sd::redis {

namespace {
const LuaScript kPointerSets{"shard pointers (SET)", "", ""};
const LuaScript kPointerGet{"shard pointer (GET)", "", ""};
}  // namespace

void RedisJobStore::PutMessageShards(const std::string& carrier,
                                     const std::vector<std::string>& ids, uint32_t shard,
                                     std::function<void()> done) {
  WriteOp op;
  op.script = &kPointerSets;
  op.commands = WriteOp::Commands::kSet;
  op.items = ids.size();
  const std::string value = std::to_string(shard);
  const std::string ttl = std::to_string(options_.correlation_ttl_ms);
  for (const std::string& id : ids) {
    op.keys.push_back(PointerKey(carrier, id));
    op.args.push_back(value);
    op.args.push_back(ttl);
  }
  op.done = [done = std::move(done)](redisReply*) { done(); };
  Enqueue(std::move(op));
}

void RedisJobStore::GetMessageShard(const std::string& carrier, const std::string& id,
                                    std::function<void(std::optional<uint32_t>)> done) {
  WriteOp op;
  op.script = &kPointerGet;
  op.commands = WriteOp::Commands::kGet;
  op.read_only = true;
  op.keys.push_back(PointerKey(carrier, id));
  op.done = [done = std::move(done)](redisReply* r) {
    std::optional<uint32_t> shard;
    // EXEC's reply: one element, the GET's bulk string (nil when there is no pointer).
    if (r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
        r->element[0]->type == REDIS_REPLY_STRING) {
      const char* b = r->element[0]->str;
      const char* e = b + r->element[0]->len;
      uint32_t v = 0;
      auto [ptr, ec] = std::from_chars(b, e, v);
      if (ec == std::errc() && ptr == e && v < kMaxShards) shard = v;
    }
    done(shard);
  };
  Enqueue(std::move(op));
}

}  // namespace sd::redis
