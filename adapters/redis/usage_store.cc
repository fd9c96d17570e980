#include "adapters/redis/usage_store.h"

#include <set>

namespace sd::redis {

UsageStore::UsageStore(uv_loop_t* loop, RedisEndpoint endpoint, std::string key_prefix)
    : conn_(loop, std::move(endpoint), "usage"), prefix_(std::move(key_prefix)) {}

UsageStore::~UsageStore() = default;

void UsageStore::Write(std::vector<UsageDelta> deltas, int64_t now_ms) {
  for (UsageDelta& d : deltas) {
    if (waiting_.size() >= kMaxWaiting) {
      ++dropped_;
      continue;
    }
    waiting_.push_back(std::move(d));
  }
  if (waiting_.empty() || !conn_.ready()) return;
  // One loop turn: hiredis sends these in one write (pipelined).
  std::set<std::string> touched;
  for (const UsageDelta& d : waiting_) {
    const std::string key = prefix_ + "usage:" + d.key_id + ":" + d.day;
    conn_.Command({"HINCRBY", key, d.field, std::to_string(d.count)}, [](redisReply*) {});
    touched.insert(key);
  }
  for (const std::string& key : touched) {
    conn_.Command({"HSET", key, "last_used", std::to_string(now_ms)}, [](redisReply*) {});
    conn_.Command({"PEXPIRE", key, std::to_string(kKeepMs)}, [](redisReply*) {});
  }
  waiting_.clear();
}

}  // namespace sd::redis
