#pragma once
// Writes the daemon's per-key, per-day usage counters (core/usage_tally.h) to Redis, where
// `smsdispatch keys report` reads them (docs/keys.md, "Key audit"): one hash per key and day,
// <prefix>usage:<key id>:<YYYYMMDD>, field -> count, plus last_used (ms), kept 35 days. Once
// per stats interval on a connection of its own, pipelined; best effort: counts of an
// interval that could not be written are kept for the next one (bounded), and a daemon killed
// loses at most one interval's counts.
#include <uv.h>

#include <functional>
#include <string>
#include <vector>

#include "adapters/redis/redis_connection.h"
#include "core/usage_tally.h"

namespace sd::redis {

class UsageStore {
 public:
  UsageStore(uv_loop_t* loop, RedisEndpoint endpoint, std::string key_prefix);
  ~UsageStore();
  UsageStore(const UsageStore&) = delete;
  UsageStore& operator=(const UsageStore&) = delete;

  void Start() { conn_.Start(); }
  void Close(std::function<void()> done) { conn_.Close(true, std::move(done)); }
  // Adds `deltas` to what is waiting and writes it all when connected.
  void Write(std::vector<UsageDelta> deltas, int64_t now_ms);
  uint64_t dropped() const { return dropped_; }

 private:
  static constexpr size_t kMaxWaiting = 200'000;
  static constexpr int64_t kKeepMs = 35LL * 86'400'000;

  RedisConnection conn_;
  std::string prefix_;
  std::vector<UsageDelta> waiting_;
  uint64_t dropped_ = 0;
};

}  // namespace sd::redis
