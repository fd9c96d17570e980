#include "bench/smsc_sim/due_queue.h"

#include <algorithm>
#include <utility>

#include "adapters/loop/uv_kit.h"

namespace sd::smsc_sim {

DueQueue::DueQueue(uv_loop_t* loop, const Options& options, Counters& counters, Hooks hooks)
    : loop_(loop), options_(options), counters_(counters), hooks_(std::move(hooks)) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
}

void DueQueue::HoldResponse(uint64_t client_id, std::string bytes) {
  responses_.push_back(
      HeldResponse{uv_now(loop_) + static_cast<uint64_t>(options_.submit_latency_ms), client_id,
                   std::move(bytes)});
}

void DueQueue::ScheduleReceipt(Receipt r) {
  receipts_.push_back(
      DueReceipt{uv_now(loop_) + static_cast<uint64_t>(options_.receipt_delay_ms), std::move(r)});
}

void DueQueue::Arm() {
  uint64_t next = UINT64_MAX;
  if (!responses_.empty()) next = responses_.front().due_ms;
  if (!receipts_.empty()) next = std::min(next, receipts_.front().due_ms);
  if (next == UINT64_MAX || closed_) return;
  const uint64_t now = uv_now(loop_);
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<DueQueue*>(t->data)->RunDue(); },
      next > now ? next - now : 0, 0);
}

void DueQueue::Wait(Receipt r) {
  if (waiting_.size() >= static_cast<size_t>(options_.max_waiting_receipts)) {
    ++counters_.receipts_dropped;
    return;
  }
  waiting_.push_back(std::move(r));
}

void DueQueue::DrainWaiting() {
  while (!waiting_.empty() && hooks_.send_receipt(waiting_.front())) waiting_.pop_front();
}

void DueQueue::Close() {
  if (closed_) return;
  closed_ = true;
  loop::CloseAll({loop::AsHandle(&timer_)}, nullptr);
}

// A receipt due after its message's validity passed reports EXPIRED, as an SMSC that gave up
// on the message would; a receipt already sent once keeps the state it had.
void DueQueue::ExpireIfInvalid(Receipt& r) {
  if (r.valid_until_ms <= 0 || r.sent_before || WallMs() <= r.valid_until_ms) return;
  if (r.state == ReceiptState::kDelivered) {
    r.state = ReceiptState::kExpired;
    ++counters_.expired_deliveries;
  }
  r.valid_until_ms = 0;
}

void DueQueue::RunDue() {
  const uint64_t now = uv_now(loop_);
  while (!responses_.empty() && responses_.front().due_ms <= now) {
    const HeldResponse& d = responses_.front();
    if (hooks_.respond(d.client_id, d.bytes)) ++counters_.submit_resps;
    responses_.pop_front();
  }
  while (!receipts_.empty() && receipts_.front().due_ms <= now) {
    Receipt& r = receipts_.front().receipt;
    ExpireIfInvalid(r);
    if (!hooks_.send_receipt(r)) Wait(std::move(r));
    receipts_.pop_front();
  }
  hooks_.flush();
  Arm();
}

}  // namespace sd::smsc_sim
