#include "core/send_rate.h"

#include <algorithm>
#include <cmath>

namespace sd {

SendRate::SendRate(SendRateConfig config) : config_(config), rate_(config.tps) {}

void SendRate::Reset() {
  rate_ = config_.tps;
  next_ns_ = 0;
  interval_start_ns_ = -1;
  interval_ok_ = interval_refused_ = interval_throttled_ = 0;
  pause_until_ns_ = 0;
  pause_ms_ = 0;
  tolerated_ = 0;
  decreased_ = false;
  rate_at_refusal_ = 0;
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

void SendRate::StartInterval(int64_t now_ns) {
  interval_start_ns_ = now_ns;
  interval_ok_ = interval_refused_ = interval_throttled_ = 0;
}

void SendRate::OnAccepted(int64_t now_ns) {
  if (interval_start_ns_ < 0) StartInterval(now_ns);
  ++interval_ok_;
  MaybeAdjust(now_ns);
}

void SendRate::OnQueueFull(int64_t now_ns) {
  ++throttles_;
  if (interval_start_ns_ < 0) StartInterval(now_ns);
  ++interval_refused_;
  MaybeAdjust(now_ns);
}

void SendRate::OnThrottled(int64_t now_ns) {
  ++throttles_;
  if (interval_start_ns_ < 0) StartInterval(now_ns);
  ++interval_throttled_;
  Advance(now_ns);
  // Several responses of one burst say the same thing: halve once per pause, not per response.
  if (now_ns >= pause_until_ns_) {
    const double recent = std::max(RecentRate(now_ns), config_.min_tps);
    const double base = rate_ > 0 ? std::min(rate_, recent) : recent;
    rate_ = std::max(config_.min_tps, base / 2);
    rate_at_refusal_ = base;
    decreased_ = false;  // a throttle is about rate: nothing to learn from the next interval
    pause_ms_ = pause_ms_ == 0 ? config_.throttle_pause_ms
                               : std::min(pause_ms_ * 2, config_.max_throttle_pause_ms);
    pause_until_ns_ = now_ns + pause_ms_ * 1'000'000;
    next_ns_ = pause_until_ns_;
  }
  last_throttle_ns_ = now_ns;
}

void SendRate::OnTick(int64_t now_ns) {
  if (now_ns - last_throttle_ns_ >= config_.adjust_interval_ms * 1'000'000) pause_ms_ = 0;
  MaybeAdjust(now_ns);
}

void SendRate::MaybeAdjust(int64_t now_ns) {
  if (interval_start_ns_ < 0 ||
      now_ns - interval_start_ns_ < config_.adjust_interval_ms * 1'000'000) {
    return;
  }
  const uint32_t total = interval_ok_ + interval_refused_ + interval_throttled_;
  if (total < static_cast<uint32_t>(std::max(1, config_.min_responses))) {
    if (total > 0 && interval_refused_ == 0 && interval_throttled_ == 0) {
      // A slow bind gets few answers: a clean interval is enough to step up (a share needs
      // samples, success does not), or a bind slowed down to a trickle would stay there.
      StartInterval(now_ns);
      decreased_ = false;
      Increase();
      return;
    }
    if (interval_refused_ == 0) {
      StartInterval(now_ns);  // only ESME_RTHROTTLED, acted on when it came: no step this time
      return;
    }
    // ESME_RMSGQFUL among too few answers: wait for a share worth judging, but not forever.
    if (now_ns - interval_start_ns_ >= 10 * config_.adjust_interval_ms * 1'000'000) {
      interval_start_ns_ = -1;
    }
    return;
  }
  const bool throttled = interval_throttled_ > 0;
  const double ratio = static_cast<double>(interval_refused_) / total;
  StartInterval(now_ns);
  Advance(now_ns);
  if (decreased_) {
    decreased_ = false;
    // Slowing down did not lower the share refused: the SMSC refuses that share at any rate,
    // so it is no reason to be slow. Learn it and go back to the rate from before the drop.
    if (!throttled && ratio > tolerated_ + config_.refusal_margin &&
        ratio >= 0.75 * ratio_at_decrease_) {
      tolerated_ = ratio;
      rate_ = rate_before_decrease_;
      return;
    }
  }
  if (ratio > tolerated_ + config_.refusal_margin) {
    Decrease(now_ns, ratio);
  } else if (!throttled) {
    if (ratio < tolerated_) tolerated_ -= (tolerated_ - ratio) / 4;  // follows the SMSC down
    Increase();
  }
}

void SendRate::Decrease(int64_t now_ns, double ratio) {
  const double recent = std::max(RecentRate(now_ns), config_.min_tps);
  const double base = rate_ > 0 ? std::min(rate_, recent) : recent;
  decreased_ = true;
  ratio_at_decrease_ = ratio;
  rate_before_decrease_ = rate_;
  rate_at_refusal_ = base;
  // What the SMSC accepted of what was sent: converge to it, not below it.
  rate_ = std::max(config_.min_tps, base * (1 - ratio));
}

void SendRate::Increase() {
  if (rate_ <= 0 || (config_.tps > 0 && rate_ >= config_.tps)) return;
  rate_ += config_.increase_tps;
  if (config_.tps > 0) {
    rate_ = std::min(rate_, config_.tps);
  } else if (rate_ >= 2 * rate_at_refusal_) {
    rate_ = 0;  // well past where the SMSC complained: unlimited again (the window still binds)
  }
}

}  // namespace sd
