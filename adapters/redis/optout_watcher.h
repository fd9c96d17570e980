#pragma once
// Every daemon's copy of the opt-outs (docs/inbound.md, docs/redis.md "Opt-outs"). Lists
// imported from a previous provider can hold millions of numbers while replies change one at a
// time, so the hash is read whole only at start (HSCAN, in pages) and when the watcher finds it
// missed a change; otherwise it follows the change log: every poll (a quarter second) one
// MULTI/EXEC reads the log entries after the last one applied and the version counter. The
// log's entries carry the version each change made: a version that skips one (the log was
// trimmed past us, or a change was made without its entry) or a counter ahead of the log means
// the copy may be wrong, and the hash is read whole again. The copy in use meanwhile stays.
// A change made anywhere refuses jobs everywhere within about half a second.
#include <hiredis/hiredis.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/redis/redis_connection.h"
#include "core/optout_set.h"

namespace sd::redis {

struct OptOutWatcherCounters {
  uint64_t full_loads = 0;  // the hash read whole
  uint64_t changes = 0;     // log entries applied
  uint64_t gaps = 0;        // missed changes found (each followed by a full load)
  uint64_t bad_records = 0;
  template <typename F>
  void ForEach(F&& f) const {
    f("full_loads", full_loads);
    f("changes", changes);
    f("gaps", gaps);
    f("bad_records", bad_records);
  }
};

class OptOutWatcher {
 public:
  using SetFn = std::function<void(std::shared_ptr<const OptOutSet>)>;

  OptOutWatcher(uv_loop_t* loop, const RedisEndpoint& endpoint, const std::string& key_prefix,
                int64_t poll_ms = 250);
  ~OptOutWatcher();
  OptOutWatcher(const OptOutWatcher&) = delete;
  OptOutWatcher& operator=(const OptOutWatcher&) = delete;

  // Called on the loop with each new copy (the first once the hash was read whole).
  void SetOnChange(SetFn fn) { on_change_ = std::move(fn); }
  void Start();
  void Close(std::function<void()> done);

  const OptOutWatcherCounters& counters() const { return counters_; }
  // The copy last published (null before the first full load).
  const std::shared_ptr<const OptOutSet>& current() const { return current_; }
  bool loaded() const { return current_ != nullptr; }

 private:
  void Poll();
  void BeginLoad();
  void ScanPage(std::string cursor);
  void OnTail(redisReply* exec);
  // Applies one log entry; false on a gap.
  bool Apply(redisReply* entry, std::vector<OptOutEdit>* edits);
  void Publish(std::shared_ptr<const OptOutSet> set);

  RedisConnection conn_;
  std::string hash_, version_key_, log_;
  int64_t poll_ms_;
  uv_timer_t timer_{};
  bool started_ = false, closing_ = false;
  int pending_closes_ = 0;
  std::function<void()> closed_;
  bool busy_ = false;     // a load or a tail read is outstanding
  bool loading_ = false;  // a full load is under way (its pages are outstanding)
  std::vector<OptOutKey> scanned_;
  long long load_version_ = 0;  // the version the load started at
  std::string load_log_id_;     // and the log's last entry then
  long long applied_ = 0;       // version of the last change in current_
  std::string log_id_ = "0-0";  // the last log entry read
  std::shared_ptr<const OptOutSet> current_;
  SetFn on_change_;
  OptOutWatcherCounters counters_;
};

}  // namespace sd::redis
