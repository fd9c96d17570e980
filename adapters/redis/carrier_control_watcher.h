#pragma once
// The operators' carrier control (core/carrier_control.h) from Redis: the hash
// <prefix>carriers:control (field: carrier name, value: CarrierControlValue) and its counter
// <prefix>carriers:control:version, both written in one MULTI/EXEC by `smsdispatch carriers
// pause|resume|drain` (with the audit event). Each daemon polls the counter twice a second on
// a connection of its own, so a pause reaches every daemon within about a second. Read-only
// here: the daemons never write it.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "adapters/redis/hash_watch.h"
#include "adapters/redis/redis_connection.h"
#include "core/carrier_control.h"

namespace sd::redis {

struct CarrierControlCounters {
  uint64_t loads = 0;        // control hashes read
  uint64_t bad_records = 0;  // fields that did not parse (skipped: the carrier stays active)
  template <typename F>
  void ForEach(F&& f) const {
    f("loads", loads);
    f("bad_records", bad_records);
  }
};

class CarrierControlWatcher {
 public:
  // Carrier name -> what an operator asked; a carrier not named is active.
  using Controls = std::map<std::string, CarrierControlRecord>;
  using ControlsFn = std::function<void(const Controls&)>;

  CarrierControlWatcher(uv_loop_t* loop, const RedisEndpoint& endpoint,
                        const std::string& key_prefix, int64_t poll_ms = 500);
  ~CarrierControlWatcher();
  CarrierControlWatcher(const CarrierControlWatcher&) = delete;
  CarrierControlWatcher& operator=(const CarrierControlWatcher&) = delete;

  // Called on the loop with every hash read (the first once connected).
  void SetOnControls(ControlsFn fn) { on_controls_ = std::move(fn); }
  void Start();
  void Close(std::function<void()> done);

  const CarrierControlCounters& counters() const { return counters_; }
  bool loaded() const { return counters_.loads > 0; }

 private:
  bool OnLoaded(redisReply* r);
  void OneClosed();

  RedisConnection conn_;
  HashWatch watch_;
  int64_t poll_ms_;
  uv_timer_t timer_;
  bool started_ = false;
  bool closing_ = false;
  int pending_closes_ = 0;
  std::function<void()> closed_;
  ControlsFn on_controls_;
  CarrierControlCounters counters_;
};

}  // namespace sd::redis
