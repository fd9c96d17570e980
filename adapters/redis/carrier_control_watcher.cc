#include "adapters/redis/carrier_control_watcher.h"

#include "adapters/redis/redis_reply.h"

namespace sd::redis {

namespace {
// A deployment has a handful of carriers; anything past this is not ours to keep.
constexpr size_t kMaxControls = 1'000;
constexpr size_t kMaxCarrierName = 64;
}  // namespace

CarrierControlWatcher::CarrierControlWatcher(uv_loop_t* loop, const RedisEndpoint& endpoint,
                                             const std::string& key_prefix, int64_t poll_ms)
    : conn_(loop, endpoint, "carrier-control"),
      watch_(conn_, key_prefix + "carriers:control", key_prefix + "carriers:control:version",
             [this](redisReply* r) { return OnLoaded(r); }),
      poll_ms_(poll_ms) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
}

CarrierControlWatcher::~CarrierControlWatcher() = default;

void CarrierControlWatcher::Start() {
  if (started_) return;
  started_ = true;
  conn_.SetOnReady([this] {
    watch_.Reset();
    watch_.Poll();
  });
  conn_.SetOnDown([this] { watch_.Down(); });
  conn_.Start();
  const auto every = static_cast<uint64_t>(poll_ms_);
  uv_timer_start(
      &timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<CarrierControlWatcher*>(t->data);
        if (!self->closing_) self->watch_.Poll();
      },
      every, every);
}

bool CarrierControlWatcher::OnLoaded(redisReply* r) {
  Controls controls;
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    std::string name = ReplyString(r->element[i]);
    auto record = ParseCarrierControlValue(ReplyString(r->element[i + 1]));
    if (!record || name.empty() || name.size() > kMaxCarrierName) {
      ++counters_.bad_records;
      continue;
    }
    if (controls.size() < kMaxControls) controls.emplace(std::move(name), std::move(*record));
  }
  ++counters_.loads;
  if (on_controls_) on_controls_(controls);
  return true;
}

void CarrierControlWatcher::Close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  closed_ = std::move(done);
  pending_closes_ = 2;  // the timer and the connection
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_),
           [](uv_handle_t* h) { static_cast<CarrierControlWatcher*>(h->data)->OneClosed(); });
  conn_.Close(false, [this] { OneClosed(); });
}

void CarrierControlWatcher::OneClosed() {
  if (--pending_closes_ != 0 || !closed_) return;
  auto cb = std::move(closed_);
  closed_ = nullptr;
  cb();
}

}  // namespace sd::redis
