#pragma once
// SMS-pumping blocks in Redis (docs/operations.md, docs/redis.md): the hash
// <prefix>blocks (field "<key family>|<prefix>", value "<until>|<created>|<rule>|<note>",
// core/block_list.h) and the counter <prefix>blocks:version, bumped in the same MULTI/EXEC as
// every change (here and by `smsdispatch blocks add|lift`). Each daemon polls the version
// twice a second on a connection of its own and reads the hash when it moved, so a block
// raised anywhere refuses jobs everywhere within about a second, and survives restarts.
// Blocks that ended are deleted on the next read (nobody needs to bump the version for that).
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "adapters/redis/hash_watch.h"
#include "adapters/redis/redis_connection.h"
#include "core/block_list.h"
#include "core/clock.h"
#include "core/ports.h"

namespace sd::redis {

struct BlockStoreCounters {
  uint64_t loads = 0;         // block lists read from Redis
  uint64_t raised = 0;        // blocks written (confirmed by EXEC)
  uint64_t write_errors = 0;  // writes that failed (retried)
  uint64_t bad_records = 0;   // fields that did not parse (skipped)
  uint64_t expired_removed = 0;
  template <typename F>
  void ForEach(F&& f) const {
    f("loads", loads);
    f("raised", raised);
    f("write_errors", write_errors);
    f("bad_records", bad_records);
    f("expired_removed", expired_removed);
  }
};

class BlockStore final : public BlockSink {
 public:
  using BlocksFn = std::function<void(std::shared_ptr<const BlockList>)>;

  BlockStore(uv_loop_t* loop, const RedisEndpoint& endpoint, const std::string& key_prefix,
             const Clock& clock, int64_t poll_ms = 500);
  ~BlockStore() override;
  BlockStore(const BlockStore&) = delete;
  BlockStore& operator=(const BlockStore&) = delete;

  // Called on the loop with every list read (the first one once connected).
  void SetOnBlocks(BlocksFn fn) { on_blocks_ = std::move(fn); }
  void Start();
  void Close(std::function<void()> done);

  // BlockSink: queued, written in order while connected, retried on errors.
  void Raise(Block block) override;

  const BlockStoreCounters& counters() const { return counters_; }
  // The list last read (null before the first read).
  const std::shared_ptr<const BlockList>& current() const { return current_; }

 private:
  void Poll();
  bool OnLoaded(redisReply* reply);
  void SendNextRaise();

  RedisConnection conn_;
  std::string hash_;
  std::string version_key_;
  HashWatch watch_;
  const Clock& clock_;
  int64_t poll_ms_;
  uv_timer_t timer_;
  bool started_ = false;
  bool closing_ = false;
  int pending_closes_ = 0;
  std::function<void()> closed_;
  bool raise_outstanding_ = false;
  bool warned_ = false;
  std::deque<Block> to_raise_;
  std::shared_ptr<const BlockList> current_;
  BlocksFn on_blocks_;
  BlockStoreCounters counters_;
};

}  // namespace sd::redis
