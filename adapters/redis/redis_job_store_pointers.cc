// RedisJobStore's pointer records for a sharded deployment (sharded_job_store.h): which shard
// committed a carrier's message id. Plain SET / GET in a MULTI (a chunk of many per call, as the
// sharded store batches a loop turn's), through the writer's queue, so they are retried while
// Redis is away and a pointer is never reported written before Redis (and, with
// wait_replicas, its replicas) has it.
#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapters/redis/lua_scripts.h"
#include "adapters/redis/redis_job_store.h"
#include "core/shard_rule.h"

namespace sd::redis {

namespace {

const LuaScript kPointerSets{"shard pointers (SET)", "", ""};
const LuaScript kPointerGets{"shard pointers (GET)", "", ""};
constexpr size_t kChunk = 256;  // commands per MULTI: one call never holds Redis long

std::optional<uint32_t> ShardOf(const redisReply* r) {
  if (r == nullptr || r->type != REDIS_REPLY_STRING) return std::nullopt;
  uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(r->str, r->str + r->len, v);
  if (ec != std::errc() || ptr != r->str + r->len || v >= kMaxShards) return std::nullopt;
  return v;
}

}  // namespace

void RedisJobStore::PutMessageShards(std::vector<MessagePointer> pointers,
                                     std::function<void()> done) {
  if (pointers.empty()) {
    Later(std::move(done));
    return;
  }
  auto left = std::make_shared<size_t>((pointers.size() + kChunk - 1) / kChunk);
  auto all = std::make_shared<std::function<void()>>(std::move(done));
  const std::string ttl = std::to_string(options_.correlation_ttl_ms);
  for (size_t start = 0; start < pointers.size(); start += kChunk) {
    const size_t end = std::min(pointers.size(), start + kChunk);
    WriteOp op;
    op.script = &kPointerSets;
    op.commands = WriteOp::Commands::kSet;
    op.items = end - start;
    for (size_t i = start; i < end; ++i) {
      op.keys.push_back(PointerKey(pointers[i].carrier, pointers[i].id));
      op.args.push_back(std::to_string(pointers[i].shard));
      op.args.push_back(ttl);
    }
    counters_.shard_pointers += end - start;
    op.done = [left, all](redisReply*) {
      if (--*left == 0) (*all)();
    };
    Enqueue(std::move(op));
  }
}

void RedisJobStore::GetMessageShards(
    std::vector<MessagePointer> lookups,
    std::function<void(std::vector<std::optional<uint32_t>>)> done) {
  if (lookups.empty()) {
    Later([done = std::move(done)] { done({}); });
    return;
  }
  struct Join {
    std::vector<std::optional<uint32_t>> shards;
    size_t left = 0;
    std::function<void(std::vector<std::optional<uint32_t>>)> done;
  };
  auto join = std::make_shared<Join>();
  join->shards.resize(lookups.size());
  join->left = (lookups.size() + kChunk - 1) / kChunk;
  join->done = std::move(done);
  counters_.shard_lookups += lookups.size();
  for (size_t start = 0; start < lookups.size(); start += kChunk) {
    const size_t end = std::min(lookups.size(), start + kChunk);
    WriteOp op;
    op.script = &kPointerGets;
    op.commands = WriteOp::Commands::kGet;
    op.read_only = true;
    op.items = end - start;
    for (size_t i = start; i < end; ++i) {
      op.keys.push_back(PointerKey(lookups[i].carrier, lookups[i].id));
    }
    // EXEC's reply: per GET its bulk string, nil where there is no pointer.
    op.done = [join, start, end](redisReply* r) {
      for (size_t i = start; i < end; ++i) {
        const size_t k = i - start;
        if (r != nullptr && r->type == REDIS_REPLY_ARRAY && k < r->elements) {
          join->shards[i] = ShardOf(r->element[k]);
        }
      }
      if (--join->left == 0) join->done(std::move(join->shards));
    };
    Enqueue(std::move(op));
  }
}

}  // namespace sd::redis
