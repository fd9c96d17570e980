#pragma once
// The pace of one sender (an SMPP bind, an HTTP carrier): an optional configured TPS ceiling
// plus an adaptive rate. Socket-free logic shared by adapters/smpp and adapters/http. Additive
// increase / multiplicative decrease, as TCP does for the same reason: the peer's capacity is
// unknown and changes.
// ESME_RTHROTTLED says "you exceeded your allowed rate" (SMPP 3.4 5.1.3): the bind halves the
// rate it was sending at and pauses at once (once per burst of such responses; the pause doubles
// while they continue), since everything sent before the SMSC's window turns is refused too.
// ESME_RMSGQFUL says the SMSC's queue is full, which some SMSCs answer to a share of submits at
// any rate. A single one decides nothing; once per adjust interval the share of that interval's
// responses that were ESME_RMSGQFUL (the refusal ratio) does:
//   - above the tolerated ratio (plus a margin): the rate drops to what the SMSC accepted, the
//     rate sent at times (1 - ratio), and the rate before the drop is remembered;
//   - at or below it: the rate steps up by `increase_tps` (success drives it up).
// Some SMSCs refuse a share of submits at any rate (a queue that is full now and then). Slowing
// down does not lower that share, so after a drop that did not lower the ratio, the ratio is
// learned as the SMSC's tolerated baseline and the rate from before the drop comes back: steady
// refusals at ratio r leave the bind sending at its full pace, of which (1 - r) is accepted,
// instead of halving forever. The baseline follows the ratio down when it falls (a quarter of
// the way per interval, so one lucky interval does not undo it), and a new connection forgets
// it. An HTTP carrier maps 429/503 to OnThrottled (and keeps Retry-After itself).
// Clock-injected (times in ns) so tests drive it without a loop.
#include <array>
#include <cstdint>

namespace sd {

struct SendRateConfig {
  double tps = 0;                      // configured ceiling per bind, 0 = none
  double min_tps = 1;                  // refusals never slow a bind below this
  int64_t adjust_interval_ms = 1'000;  // responses are judged together over this long
  int min_responses = 20;              // fewer: no share is judged (a clean one steps up)
  double refusal_margin = 0.05;        // ratio above the tolerated baseline that means "slow down"
  double increase_tps = 20;            // additive step per clean interval
  int64_t throttle_pause_ms = 250;     // no sends for this long after ESME_RTHROTTLED...
  int64_t max_throttle_pause_ms = 5'000;  // ...doubling per consecutive throttle, capped
};

class SendRate {
 public:
  explicit SendRate(SendRateConfig config);

  // Earliest time (ns) the next submit may go; <= now means now.
  int64_t NextSendNs() const;
  // Records a submit sent at `now_ns`.
  void OnSent(int64_t now_ns);
  // A submit_sm_resp that was not a refusal (accepted, or failed for another reason).
  void OnAccepted(int64_t now_ns);
  // ESME_RTHROTTLED: halve and pause now.
  void OnThrottled(int64_t now_ns);
  // ESME_RMSGQFUL: counts toward the interval's refusal ratio.
  void OnQueueFull(int64_t now_ns);
  // Periodic (every tick): closes an adjust interval that has run its length.
  void OnTick(int64_t now_ns);
  // A new connection starts at the configured ceiling again: the refusals were that session's.
  void Reset();

  // Current allowed rate, 0 = unlimited.
  double rate() const { return rate_; }
  uint64_t throttles() const { return throttles_; }  // both kinds of refusal
  // The refusal ratio learned as this SMSC's baseline (refused at any rate), 0..1.
  double tolerated_ratio() const { return tolerated_; }
  // Sends per second over the last second (for the decrease's starting point and for STATUS).
  double RecentRate(int64_t now_ns) const;

 private:
  void Advance(int64_t now_ns);
  void MaybeAdjust(int64_t now_ns);
  void StartInterval(int64_t now_ns);
  void Decrease(int64_t now_ns, double ratio);
  void Increase();

  SendRateConfig config_;
  double rate_;          // 0 = unlimited
  int64_t next_ns_ = 0;  // theoretical time of the next send at rate_
  // The current adjust interval: when it began and what the SMSC answered in it.
  int64_t interval_start_ns_ = -1;
  uint32_t interval_ok_ = 0;
  uint32_t interval_refused_ = 0;    // ESME_RMSGQFUL
  uint32_t interval_throttled_ = 0;  // ESME_RTHROTTLED: already acted on, blocks the step up
  int64_t pause_until_ns_ = 0;       // after ESME_RTHROTTLED
  int64_t pause_ms_ = 0;             // current pause length (doubles while throttles continue)
  int64_t last_throttle_ns_ = 0;
  double tolerated_ = 0;  // learned baseline refusal ratio (see the header comment)
  // The last decrease, until the next judged interval says whether it helped.
  bool decreased_ = false;
  double ratio_at_decrease_ = 0;
  double rate_before_decrease_ = 0;  // 0 = it was unlimited
  double rate_at_refusal_ = 0;       // unlimited binds return to unlimited above 2x this
  uint64_t throttles_ = 0;
  // Sends per 100 ms slot over the last second, for RecentRate().
  static constexpr int64_t kSlotNs = 100'000'000;
  std::array<uint32_t, 10> slots_{};
  int64_t slot_epoch_ = 0;  // index of the newest slot (time / kSlotNs)
};

}  // namespace sd
