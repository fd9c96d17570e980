#include "adapters/smpp/send_rate.h"

#include <algorithm>
#include <cmath>

namespace sd::smpp {

SendRate::SendRate(SendRateConfig config) : config_(config), rate_(config.tps) {}

void SendRate::Reset() {
  rate_ = config_.tps;
  next_ns_ = pause_until_ns_ = 0;
  pause_ms_ = 0;
  rate_at_throttle_ = 0;
}

int64_t SendRate::NextSendNs() const { return std::max(next_ns_, pause_until_ns_); }

void SendRate::Advance(int64_t now_ns) {
  const int64_t epoch = now_ns / kSlotNs;
  if (epoch - slot_epoch_ >= static_cast<int64_t>(slots_.size())) {
    slots_.fill(0);
  } else {
    for (int64_t e = slot_epoch_ + 1; e <= epoch; ++e) slots_[e % slots_.size()] = 0;
  }
  slot_epoch_ = std::max(slot_epoch_, epoch);
}

double SendRate::RecentRate(int64_t now_ns) const {
  const int64_t epoch = now_ns / kSlotNs;
  uint64_t sum = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    const int64_t e = slot_epoch_ - static_cast<int64_t>(i);
    if (epoch - e < static_cast<int64_t>(slots_.size())) sum += slots_[e % slots_.size()];
  }
  return static_cast<double>(sum);  // ten 100 ms slots = one second
}

void SendRate::OnSent(int64_t now_ns) {
  Advance(now_ns);
  ++slots_[slot_epoch_ % slots_.size()];
  if (rate_ <= 0) return;
  // One emission interval per send; a bind idle for a while may send one small burst of
  // up to a tenth of a second's worth, not the whole idle time's worth.
  const auto interval = static_cast<int64_t>(1e9 / rate_);
  const int64_t floor_ns = now_ns - 100'000'000;
  next_ns_ = std::max(next_ns_, floor_ns) + interval;
}

void SendRate::OnThrottled(int64_t now_ns) {
  ++throttles_;
  Advance(now_ns);
  const double recent = std::max(RecentRate(now_ns), config_.min_tps);
  const double base = rate_ > 0 ? std::min(rate_, recent) : recent;
  // Several responses of one burst say the same thing: halve once per pause, not per response.
  if (now_ns >= pause_until_ns_) {
    rate_ = std::max(config_.min_tps, base / 2);
    rate_at_throttle_ = base;
    pause_ms_ = pause_ms_ == 0 ? config_.throttle_pause_ms
                               : std::min(pause_ms_ * 2, config_.max_throttle_pause_ms);
    pause_until_ns_ = now_ns + pause_ms_ * 1'000'000;
    next_ns_ = pause_until_ns_;
  }
  last_throttle_ns_ = now_ns;
  last_step_ns_ = now_ns;
}

void SendRate::OnTick(int64_t now_ns) {
  Advance(now_ns);
  const int64_t probe_ns = config_.probe_interval_ms * 1'000'000;
  if (now_ns - last_throttle_ns_ >= probe_ns) pause_ms_ = 0;  // the throttling episode is over
  if (rate_ <= 0 || (config_.tps > 0 && rate_ >= config_.tps)) return;
  if (now_ns - last_throttle_ns_ < probe_ns || now_ns - last_step_ns_ < probe_ns) return;
  last_step_ns_ = now_ns;
  rate_ = rate_ * config_.probe_factor + 1;
  if (config_.tps > 0) {
    rate_ = std::min(rate_, config_.tps);
  } else if (rate_ >= 2 * rate_at_throttle_) {
    rate_ = 0;  // well past where the SMSC complained: unlimited again (the window still binds)
  }
}

}  // namespace sd::smpp
