#pragma once
// The durable queue behind status callbacks (docs/api.md, "Status callbacks"): the outcome and
// receipt streams themselves, read through a consumer group of their own (`sd-callbacks`), on
// a connection of its own so callbacks never queue behind dispatch. Nothing is copied: an
// entry stays in the group's pending list until it was delivered (XACK) or moved to the
// dead-letter stream, so a daemon killed mid-delivery loses nothing. The group is created at
// the streams' end ("$") the first time: enabling callbacks does not replay history.
//
// Read order: this consumer's own pending entries first (what it held when it stopped), then
// new entries (XREADGROUP ... BLOCK), and every claim_interval the entries other consumers
// left pending longer than claim_idle_ms (XAUTOCLAIM: a daemon that died). Entries held for a
// retry are claimed again by Keep() (kTouchScript) so they never look abandoned.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/redis/redis_connection.h"
#include "core/ports.h"

namespace sd::redis {

struct StatusQueueOptions {
  std::string outcomes_stream = "sd:outcomes";
  std::string receipts_stream = "sd:receipts";
  std::string group = "sd-callbacks";
  std::string consumer;  // this daemon's consumer name (the dispatcher's)
  std::string dead_stream = "sd:callbacks:dead";
  int64_t dead_maxlen = 100'000;
  int64_t block_ms = 1'000;            // how long one read waits for new entries
  int64_t claim_idle_ms = 300'000;     // another consumer's entry idle this long is taken over
  int64_t claim_interval_ms = 30'000;  // how often to look for such entries
  int64_t retry_read_ms = 500;         // pause before the next read when Redis is away
  // Acks wait up to ack_linger_ms (or until ack_batch are due) and go out as one XACK per
  // stream: callbacks are answered one by one, so acking each alone costs Redis a command per
  // event. A daemon killed in that window delivers those events once more (at least once).
  int64_t ack_linger_ms = 10;
  size_t ack_batch = 500;
};

struct StatusQueueCounters {
  uint64_t read = 0;     // entries handed out
  uint64_t claimed = 0;  // of those, taken over from another consumer
  uint64_t trimmed = 0;  // pending ids whose entry was trimmed off the stream
  uint64_t acks = 0;     // entries acknowledged (several per XACK)
  uint64_t dead = 0;     // moved to the dead-letter stream
  uint64_t errors = 0;   // error replies and lost replies

  template <typename F>
  void ForEach(F&& f) const {
    f("read", read);
    f("claimed", claimed);
    f("trimmed", trimmed);
    f("acks", acks);
    f("dead", dead);
    f("errors", errors);
  }
};

class StatusQueue : public StatusEntryQueue {
 public:
  StatusQueue(uv_loop_t* loop, RedisEndpoint endpoint, StatusQueueOptions options);
  ~StatusQueue() override;
  StatusQueue(const StatusQueue&) = delete;
  StatusQueue& operator=(const StatusQueue&) = delete;

  // Connects; on every connection the group is made on both streams (if it is not there).
  // `on_groups` runs the first time both exist: the daemon starts dispatching only then, so no
  // outcome is written before the group that must deliver it.
  void Start(std::function<void()> on_groups);
  void Close(std::function<void()> done);

  void Read(size_t max, std::function<void(std::vector<StatusEntry>)> got) override;
  void Ack(const StatusEntry& entry) override;
  void DeadLetter(const StatusEntry& entry, std::string reason,
                  std::function<void(bool ok)> done) override;
  void Keep(const std::vector<const StatusEntry*>& held) override;

  const StatusQueueCounters& counters() const { return counters_; }
  bool ready() const { return conn_.ready(); }

 private:
  using Got = std::function<void(std::vector<StatusEntry>)>;
  void EnsureGroups(std::function<void(bool ok)> then);
  void ReadOwnPending(size_t max, Got got);
  void ReadNew(size_t max, Got got);
  void Claim(size_t max, Got got, bool receipts);
  void Later(Got got);
  void SendDead(std::shared_ptr<std::vector<std::string>> args, bool eval,
                std::shared_ptr<std::function<void(bool)>> done);  // an empty answer after retry_read_ms
  // XREADGROUP's reply: [[stream, [[id, fields|nil], ...]], ...] (nil when it timed out).
  std::vector<StatusEntry> ParseRead(const redisReply* r);
  const std::string& StreamOf(const StatusEntry& e) const {
    return e.receipt ? options_.receipts_stream : options_.outcomes_stream;
  }

  uv_loop_t* loop_;
  RedisConnection conn_;
  StatusQueueOptions options_;
  StatusQueueCounters counters_;
  uv_timer_t timer_;
  Got timer_got_;
  // Acks waiting to go out together, one XACK per stream (flushed by ack_timer_).
  uv_timer_t ack_timer_;
  std::vector<std::string> acks_[2];  // outcomes, receipts
  void FlushAcks();
  bool groups_ok_ = false;
  std::function<void()> on_groups_;
  bool own_pending_done_ = false;
  std::string own_after_[2] = {"0", "0"};  // outcomes, receipts: where the own-pending scan is
  std::string claim_cursor_[2] = {"0-0", "0-0"};
  uint64_t last_claim_ms_ = 0;
  bool closed_ = false;
};

}  // namespace sd::redis
