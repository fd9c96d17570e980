#include "adapters/redis/quota_watcher.h"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <utility>

#include "adapters/loop/uv_kit.h"
#include "adapters/redis/redis_reply.h"
#include "adapters/untrusted_log.h"

namespace sd::redis {

QuotaWatcher::QuotaWatcher(uv_loop_t* loop, const RedisEndpoint& endpoint,
                           const std::string& key_prefix, int64_t poll_ms)
    : conn_(loop, endpoint, "quotas"),
      watch_(conn_, key_prefix + "quotas", key_prefix + "quotas:version",
             [this](redisReply* r) { return OnLoaded(r); }),
      poll_ms_(poll_ms) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
}

QuotaWatcher::~QuotaWatcher() = default;

void QuotaWatcher::Start() {
  if (started_) return;
  started_ = true;
  conn_.SetOnReady([this] {
    watch_.Reset();  // read again: the quotas may have changed while we were away
    watch_.Poll();
  });
  conn_.SetOnDown([this] { watch_.Down(); });
  conn_.Start();
  const auto every = static_cast<uint64_t>(poll_ms_);
  uv_timer_start(
      &timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<QuotaWatcher*>(t->data);
        if (!self->closing_ && self->conn_.ready()) self->watch_.Poll();
      },
      every, every);
}

bool QuotaWatcher::OnLoaded(redisReply* r) {
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return false;
  std::vector<QuotaDefinition> defs;
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    const std::string field = ReplyString(r->element[i]);
    std::optional<QuotaDefinition> d = ParseQuota(field, ReplyString(r->element[i + 1]));
    if (!d) {
      ++counters_.bad_records;
      spdlog::warn("quotas: skipping the record '{}': it does not parse", Untrusted(field));
      continue;
    }
    if (defs.size() < kMaxQuotaSubjects) defs.push_back(std::move(*d));
  }
  ++counters_.loads;
  if (on_definitions_) on_definitions_(std::move(defs));
  return true;
}

void QuotaWatcher::Close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  uv_timer_stop(&timer_);
  auto pending = std::make_shared<int>(2);
  auto one = [pending, done = std::move(done)]() mutable {
    if (--*pending == 0 && done) std::exchange(done, nullptr)();
  };
  loop::CloseAll({loop::AsHandle(&timer_)}, one);
  conn_.Close(false, one);
}

}  // namespace sd::redis
