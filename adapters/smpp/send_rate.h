#pragma once
// The pace of one bind: an optional configured TPS ceiling plus an adaptive rate that halves
// when the SMSC says ESME_RTHROTTLED / ESME_RMSGQFUL and probes back up while it stays quiet
// (additive-increase / multiplicative-decrease, as TCP does for the same reason: the peer's
// capacity is unknown and changes). Socket-free and clock-injected (times in ns) so tests
// drive it without a loop.
#include <array>
#include <cstdint>

namespace sd::smpp {

struct SendRateConfig {
  double tps = 0;                   // configured ceiling per bind, 0 = none
  double min_tps = 1;               // throttling never slows a bind below this
  int64_t throttle_pause_ms = 250;  // no sends for this long after a throttle...
  int64_t max_throttle_pause_ms = 5'000;  // ...doubling per consecutive throttle, capped
  int64_t probe_interval_ms = 1'000;      // quiet time before each step back up
  double probe_factor = 1.25;             // each step multiplies the rate by this
};

class SendRate {
 public:
  explicit SendRate(SendRateConfig config);

  // Earliest time (ns) the next submit may go; <= now means now.
  int64_t NextSendNs() const;
  // Records a submit sent at `now_ns`.
  void OnSent(int64_t now_ns);
  // The SMSC asked us to slow down.
  void OnThrottled(int64_t now_ns);
  // Periodic (every tick): steps the rate back up after a quiet probe interval.
  void OnTick(int64_t now_ns);
  // A new connection starts at the configured ceiling again: the throttle was that session's.
  void Reset();

  // Current allowed rate, 0 = unlimited.
  double rate() const { return rate_; }
  uint64_t throttles() const { return throttles_; }
  // Sends per second over the last second (for the throttle's starting point and for STATUS).
  double RecentRate(int64_t now_ns) const;

 private:
  void Advance(int64_t now_ns);

  SendRateConfig config_;
  double rate_;                // 0 = unlimited
  int64_t next_ns_ = 0;        // theoretical time of the next send at rate_
  int64_t pause_until_ns_ = 0;  // after a throttle
  int64_t pause_ms_ = 0;        // current pause length (doubles while throttles continue)
  int64_t last_throttle_ns_ = 0;
  int64_t last_step_ns_ = 0;
  double rate_at_throttle_ = 0;  // unlimited binds return to unlimited above 2x this
  uint64_t throttles_ = 0;
  // Sends per 100 ms slot over the last second, for RecentRate().
  static constexpr int64_t kSlotNs = 100'000'000;
  std::array<uint32_t, 10> slots_{};
  int64_t slot_epoch_ = 0;  // index of the newest slot (time / kSlotNs)
};

}  // namespace sd::smpp
