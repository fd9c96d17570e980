#pragma once
// The segment quotas operators set (`smsdispatch quotas set`, docs/limits.md "Quotas"): the
// hash <prefix>quotas (field = subject, value = core/quotas.h QuotaValue) and its version
// counter <prefix>quotas:version, bumped in the same MULTI/EXEC as each change. Each daemon
// polls the version twice a second on a connection of its own and reads the hash when it moved,
// so a quota set anywhere holds everywhere within about a second.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "adapters/redis/hash_watch.h"
#include "adapters/redis/redis_connection.h"
#include "core/quotas.h"

namespace sd::redis {

struct QuotaWatcherCounters {
  uint64_t loads = 0;        // definition sets read from Redis
  uint64_t bad_records = 0;  // fields that did not parse (skipped)
  template <typename F>
  void ForEach(F&& f) const {
    f("loads", loads);
    f("bad_records", bad_records);
  }
};

class QuotaWatcher {
 public:
  using DefinitionsFn = std::function<void(std::vector<QuotaDefinition>)>;

  QuotaWatcher(uv_loop_t* loop, const RedisEndpoint& endpoint, const std::string& key_prefix,
               int64_t poll_ms = 500);
  ~QuotaWatcher();
  QuotaWatcher(const QuotaWatcher&) = delete;
  QuotaWatcher& operator=(const QuotaWatcher&) = delete;

  // Called on the loop with every set read (the first once connected).
  void SetOnDefinitions(DefinitionsFn fn) { on_definitions_ = std::move(fn); }
  void Start();
  void Close(std::function<void()> done);
  const QuotaWatcherCounters& counters() const { return counters_; }

 private:
  bool OnLoaded(redisReply* reply);

  RedisConnection conn_;
  HashWatch watch_;
  int64_t poll_ms_;
  uv_timer_t timer_;
  bool started_ = false;
  bool closing_ = false;
  DefinitionsFn on_definitions_;
  QuotaWatcherCounters counters_;
};

}  // namespace sd::redis
