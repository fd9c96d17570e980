#pragma once
// The job store on Redis Streams: consumer-group intake with backpressure, crash recovery
// (own pending first, XAUTOCLAIM of dead consumers, dead-lettering), and atomic Lua writes for
// claims, outcomes and receipts. Implements core's JobStore port. See docs/redis.md.
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "adapters/redis/redis_connection.h"
#include "core/ports.h"

namespace sd::redis {

struct RedisStoreOptions {
  RedisEndpoint endpoint;
  std::string jobs_stream = "sd:jobs";
  std::string group = "smsdispatch";
  std::string consumer = "smsdispatchd";
  std::string outcomes_stream = "sd:outcomes";
  std::string receipts_stream = "sd:receipts";
  std::string dead_letter_stream = "sd:dead";
  std::string quarantine_stream = "sd:receipts:unmatched";
  std::string key_prefix = "sd:";
  size_t batch = 256;                    // XREADGROUP / XAUTOCLAIM COUNT
  int64_t block_ms = 1000;               // XREADGROUP BLOCK
  int64_t claim_idle_ms = 60'000;        // entries idle this long belong to a dead consumer
  int64_t claim_interval_ms = 5'000;     // how often to look for them
  int64_t max_deliveries = 5;            // then the entry goes to the dead-letter stream
  int64_t correlation_ttl_ms = 3 * 86'400'000LL;
  int64_t outcome_maxlen = 1'000'000;    // approximate trim of outcome/receipt streams; 0 = off
  int64_t retry_delay_ms = 200;          // before re-sending writes after an error reply
};

struct RedisStoreCounters {
  uint64_t entries_read = 0;
  uint64_t pending_redelivered = 0;  // own pending entries read again after a restart
  uint64_t reclaimed = 0;            // taken over from other consumers by XAUTOCLAIM
  uint64_t dead_lettered = 0;
  uint64_t claims = 0;
  uint64_t commits = 0;
  uint64_t outcomes_written = 0;     // commits that wrote (not only acked)
  uint64_t receipts = 0;
  uint64_t unmatched_receipts = 0;
  uint64_t duplicate_receipts = 0;
  uint64_t write_retries = 0;
  uint64_t errors = 0;
};

class RedisJobStore final : public JobStore {
 public:
  RedisJobStore(uv_loop_t* loop, RedisStoreOptions options);
  ~RedisJobStore() override;
  RedisJobStore(const RedisJobStore&) = delete;
  RedisJobStore& operator=(const RedisJobStore&) = delete;

  void Start();
  // Stops reading, waits (at most `timeout_ms`) for queued writes, then disconnects; `done`
  // runs once every handle is closed.
  void Close(int64_t timeout_ms, std::function<void()> done);

  void SetBatchHandler(BatchHandler handler) override { handler_ = std::move(handler); }
  void GrantCredit(size_t credit) override;
  void StopReading() override;
  void Claim(std::vector<ClaimRequest> reqs,
             std::function<void(std::vector<ClaimState>)> done) override;
  void Commit(Outcome outcome, std::function<void()> done) override;
  void PutReceipt(Receipt receipt, std::function<void()> done) override;

  const RedisStoreCounters& counters() const { return counters_; }
  bool connected() const { return writer_.ready() && reader_.ready(); }
  size_t queued_writes() const { return queue_.size() + outstanding_writes_; }

 private:
  // A script call that must eventually succeed: re-sent after reconnects and error replies.
  struct WriteOp {
    const struct LuaScript* script;
    std::vector<std::string> keys;
    std::vector<std::string> args;
    std::function<void(redisReply*)> done;  // called once, with a non-error reply
    bool use_eval = false;                  // NOSCRIPT seen: send the body once
  };

  enum class ReadPhase : uint8_t { kDrainOwn, kNew };

  void OnWriterReady();
  void OnReaderReady();
  void Enqueue(WriteOp op);
  void SendQueued();
  void Send(std::shared_ptr<WriteOp> op);
  void MaybeRead();
  void OnReadReply(redisReply* reply, bool history);
  void Reclaim();
  void OnEntries(std::vector<StreamEntry> entries, bool redelivered);
  void HandOut(std::vector<StreamEntry> entries);
  void DeadLetter(const StreamEntry& e, int64_t deliveries);
  std::string Key(const std::string& suffix) const { return options_.key_prefix + suffix; }
  void MaybeFinishClose();

  uv_loop_t* loop_;
  RedisStoreOptions options_;
  RedisConnection reader_;  // XREADGROUP ... BLOCK holds this connection; nothing else on it
  RedisConnection writer_;  // scripts, XGROUP, XAUTOCLAIM, XPENDING: pipelined
  BatchHandler handler_;

  size_t credit_ = 0;              // entries the dispatcher can take now
  bool reading_ = true;            // false after StopReading
  bool read_outstanding_ = false;  // one XREADGROUP at a time on the reader
  bool group_ready_ = false;       // XGROUP CREATE answered on the current writer connection
  bool reclaim_outstanding_ = false;
  ReadPhase phase_ = ReadPhase::kDrainOwn;
  std::string drain_cursor_ = "0";  // last own-pending id read in the drain phase
  std::string claim_cursor_ = "0-0";
  // Entries handed to the dispatcher and not yet committed: a reconnect's pending drain and
  // XAUTOCLAIM must not hand them out a second time.
  std::unordered_set<std::string> handed_out_;

  std::deque<std::shared_ptr<WriteOp>> queue_;  // waiting for the writer connection
  size_t outstanding_writes_ = 0;               // sent, reply not yet received
  uv_timer_t claim_timer_;
  uv_timer_t retry_timer_;
  uv_timer_t close_timer_;
  bool closing_ = false;
  uint64_t next_error_log_ms_ = 0;  // rate limit for repeated write errors
  int closed_parts_ = 0;
  std::function<void()> closed_;
  RedisStoreCounters counters_;
};

}  // namespace sd::redis
