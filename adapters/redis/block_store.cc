#include "adapters/redis/block_store.h"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <vector>

#include "adapters/redis/redis_reply.h"

namespace sd::redis {

BlockStore::BlockStore(uv_loop_t* loop, const RedisEndpoint& endpoint,
                       const std::string& key_prefix, const Clock& clock, int64_t poll_ms)
    : conn_(loop, endpoint, "blocks"),
      hash_(key_prefix + "blocks"),
      version_key_(key_prefix + "blocks:version"),
      watch_(conn_, hash_, version_key_, [this](redisReply* r) { return OnLoaded(r); }),
      clock_(clock),
      poll_ms_(poll_ms) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
}

BlockStore::~BlockStore() = default;

void BlockStore::Start() {
  if (started_) return;
  started_ = true;
  conn_.SetOnReady([this] {
    watch_.Reset();  // read the list again: it may have changed while we were away
    Poll();
    SendNextRaise();
  });
  conn_.SetOnDown([this] {
    watch_.Down();
    raise_outstanding_ = false;
  });
  conn_.Start();
  const auto every = static_cast<uint64_t>(poll_ms_);
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<BlockStore*>(t->data)->Poll(); }, every, every);
}

void BlockStore::Poll() {
  if (closing_ || !conn_.ready()) return;
  SendNextRaise();  // a raise that failed earlier is retried on the poll's beat
  watch_.Poll();
}

bool BlockStore::OnLoaded(redisReply* r) {
  const int64_t now = clock_.NowMs();
  std::vector<Block> blocks;
  std::vector<std::string> ended{"HDEL", hash_};
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    const std::string field = ReplyString(r->element[i]);
    std::optional<Block> b = ParseBlock(field, ReplyString(r->element[i + 1]));
    if (!b) {
      ++counters_.bad_records;
      continue;
    }
    if (b->until_ms <= now) {
      ended.push_back(field);
      continue;
    }
    if (blocks.size() < kMaxBlocks) blocks.push_back(std::move(*b));
  }
  if (ended.size() > 2) {
    counters_.expired_removed += ended.size() - 2;
    conn_.Command(ended, [](redisReply*) {});  // best effort: the next read tries again
  }
  ++counters_.loads;
  current_ = std::make_shared<const BlockList>(std::move(blocks));
  if (on_blocks_) on_blocks_(current_);
  return true;
}

void BlockStore::Raise(Block block) {
  if (to_raise_.size() >= kMaxBlocks) to_raise_.pop_front();  // bounded; the newest matter
  to_raise_.push_back(std::move(block));
  SendNextRaise();
}

void BlockStore::SendNextRaise() {
  if (closing_ || raise_outstanding_ || to_raise_.empty() || !conn_.ready()) return;
  const Block& b = to_raise_.front();
  const std::string field = BlockField(b);
  const std::string value = BlockValue(b);
  const char* argv[] = {"HSET",        hash_.c_str(), field.c_str(),
                        value.c_str(), "INCR",        version_key_.c_str()};
  const size_t lens[] = {4, hash_.size(), field.size(), value.size(), 4, version_key_.size()};
  const size_t argcs[] = {4, 2};
  raise_outstanding_ = conn_.Transaction(2, argcs, argv, lens, [this](redisReply* r) {
    raise_outstanding_ = false;
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY) {
      ++counters_.write_errors;  // retried on the next poll; said once per failing spell
      if (r != nullptr && !warned_) {
        spdlog::warn("blocks: writing a block to Redis failed (retrying): {}", ReplyString(r));
      }
      warned_ = true;
      return;
    }
    warned_ = false;
    ++counters_.raised;
    to_raise_.pop_front();
    SendNextRaise();
  });
}

void BlockStore::Close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  closed_ = std::move(done);
  pending_closes_ = 2;
  auto one_closed = [this] {
    if (--pending_closes_ == 0 && closed_) {
      auto cb = std::move(closed_);
      closed_ = nullptr;
      cb();
    }
  };
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), [](uv_handle_t* h) {
    auto* self = static_cast<BlockStore*>(h->data);
    if (--self->pending_closes_ == 0 && self->closed_) {
      auto cb = std::move(self->closed_);
      self->closed_ = nullptr;
      cb();
    }
  });
  // Graceful: a block being written is confirmed before the connection goes.
  conn_.Close(true, one_closed);
}

}  // namespace sd::redis
