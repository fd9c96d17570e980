#pragma once
// The job store of a sharded deployment ([redis] shards = N, docs/redis.md "Shards"): one
// RedisJobStore per shard, each reading its own jobs stream ("sd:{i}:jobs") from the node that
// owns the shard's hash tag, behind the one JobStore the dispatcher knows. With one shard it
// is a pass-through and changes nothing.
//
// Entries are named "<shard>/<stream id>" inside the daemon (stream ids of two shards can be
// equal), and the store strips the shard again before anything reaches Redis, so outcomes,
// receipts and audit events carry the plain stream id.
//
// A job belongs to the shard JobShard(job id) says (core/shard_rule.h): its idempotency record
// lives there. One read from another shard's stream is refused (ClaimState::kWrongShard).
//
// Receipts know only the carrier's message id. So before a submitted job's commit, a pointer
// record "mid:<carrier>:<id>" = <shard> goes to the shard MessageShard(carrier, id) names; a
// receipt reads that pointer first (one extra round trip) and is then written by the job's
// shard like any other. A receipt whose pointer is not there yet is asked again (100 ms,
// doubling) for unmatched_receipt_wait_ms, then quarantined on the pointer's shard.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/loop/uv_kit.h"
#include "adapters/redis/redis_job_store.h"
#include "core/latency_histogram.h"
#include "core/ports.h"

namespace sd::redis {

// The options of shard `shard`: every stream and key name (and the key prefix) with its "{0}"
// tag replaced by "{<shard>}" (ShardName), and on a cluster the slot of that tag. Each shard
// has its own delay queue and moves its own due jobs; the audit stream is shard 0's.
RedisStoreOptions ShardOptions(const RedisStoreOptions& base, uint32_t shard);

class ShardedJobStore final : public JobStore, public AuditSink, public DeferQueue {
 public:
  // `read`: the shards whose jobs this daemon reads (empty: all); it writes to every one.
  ShardedJobStore(uv_loop_t* loop, const RedisStoreOptions& base, uint32_t shards,
                  std::vector<uint32_t> read = {});
  // Close() must have completed before destruction.
  ~ShardedJobStore() override;
  ShardedJobStore(const ShardedJobStore&) = delete;
  ShardedJobStore& operator=(const ShardedJobStore&) = delete;

  void Start();
  // Closes every shard's store (RedisJobStore::Close); `done` once all are closed.
  void Close(int64_t timeout_ms, std::function<void()> done);

  void SetBatchHandler(BatchHandler handler) override;
  // Shared out so that every shard read holds about the same credit (max_inflight / N each
  // when all are busy): an idle shard's reader keeps at most its share waiting.
  void GrantCredit(size_t credit) override;
  void StopReading() override;
  void Claim(std::vector<ClaimRequest> reqs,
             std::function<void(std::vector<ClaimState>)> done) override;
  void Commit(Outcome outcome, std::function<void()> done) override;
  void PutReceipt(Receipt receipt, std::function<void()> done) override;
  // Audit events go to shard 0's audit stream (the configured one).
  void Emit(AuditEvent event) override;
  // To the entry's own shard's delay queue (its script touches the jobs stream and the job's
  // idempotency record).
  void Defer(StreamEntry entry, std::string job_id, int64_t due_ms,
             std::function<void()> done) override;

  // Shard 0 publishes the daemon's stats hash (the configured key prefix).
  void PublishStats(std::vector<std::string> field_values, int64_t ttl_ms);
  void SampleBacklog();
  // Summed over the shards; -1 while any shard's is not known.
  RedisJobStore::Backlog backlog() const;
  const LatencyHistogram& write_round_trips() const;
  const RedisStoreCounters& counters() const;  // summed, with the pointer counters
  bool connected() const;                      // every shard's store
  size_t queued_writes() const { return Sum(&RedisJobStore::queued_writes); }
  size_t in_process() const { return Sum(&RedisJobStore::in_process); }
  size_t credit() const { return Sum(&RedisJobStore::credit); }
  std::string last_error() const;  // the first shard's that has one, named
  uint32_t shards() const { return static_cast<uint32_t>(stores_.size()); }
  RedisJobStore& shard(uint32_t i) { return *stores_[i]; }
  const RedisJobStore& shard(uint32_t i) const { return *stores_[i]; }

 private:
  struct Lookup;
  // What this loop turn asked of each shard's pointers: sent together on the next turn (one
  // MULTI per shard, not one per job).
  struct Batch {
    std::vector<RedisJobStore::MessagePointer> puts;
    std::vector<std::function<void()>> put_done;
    std::vector<RedisJobStore::MessagePointer> gets;
    std::vector<std::shared_ptr<Lookup>> get_for;
  };
  void OnBatch(uint32_t shard, std::vector<StreamEntry> entries);
  void ScheduleFlush();
  void Flush();
  void OnPointer(std::shared_ptr<Lookup> l, std::optional<uint32_t> shard);
  // The shard an entry id names and the stream id in it; nullopt when it names none.
  std::optional<uint32_t> TakeShard(std::string& entry_id) const;
  size_t Sum(size_t (RedisJobStore::*of)() const) const;  // over the shards' stores
  void Find(std::shared_ptr<Lookup> l);
  void RetryLater(std::shared_ptr<Lookup> l);
  void OnRetryTimer();

  uv_loop_t* loop_;
  std::vector<std::unique_ptr<RedisJobStore>> stores_;
  BatchHandler handler_;
  std::vector<uint32_t> read_;        // the shards read
  std::vector<size_t> shard_credit_;  // credit granted to each shard and not yet used
  int64_t unmatched_wait_ms_;
  loop::NextTurn next_turn_;
  uv_timer_t retry_timer_{};
  std::multimap<int64_t, std::shared_ptr<Lookup>> retries_;  // by due time (uv_now)
  bool closing_ = false;
  int closes_left_ = 0;
  std::vector<Batch> batches_;  // by shard
  bool flush_posted_ = false;
  mutable RedisStoreCounters counters_;  // the sum counters() reports
  mutable LatencyHistogram round_trips_;
  uint64_t lookup_retries_ = 0;
};

}  // namespace sd::redis
