#include "adapters/testmode/test_carrier.h"

#include "adapters/loop/uv_kit.h"

namespace sd::testmode {
namespace {

constexpr size_t kMaxThrottledIds = 100'000;

// The last two digits of the destination; -1 when it has fewer.
int Magic(const std::string& destination) {
  const size_t n = destination.size();
  if (n < 2) return -1;
  const char a = destination[n - 2], b = destination[n - 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
  return (a - '0') * 10 + (b - '0');
}

}  // namespace

TestCarrier::TestCarrier(uv_loop_t* loop, int64_t receipt_delay_ms)
    : loop_(loop), receipt_delay_ms_(receipt_delay_ms) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
}

TestCarrier::~TestCarrier() = default;

void TestCarrier::Submit(SubmitRequest req, std::function<void(SubmitResult)> done) {
  ++counters_.submits;
  SubmitResult r;
  r.segments = req.text.segments;
  const int magic = Magic(req.destination);
  if (magic == 3 && throttled_.size() < kMaxThrottledIds && throttled_.insert(req.job_id).second) {
    ++counters_.throttled;
    r.kind = SubmitResult::Kind::kTemporaryFailure;
    r.detail = "test carrier: throttled once (test number ending 03)";
  } else if (magic == 4) {
    ++counters_.rejected;
    r.kind = SubmitResult::Kind::kPermanentFailure;
    r.detail = "test carrier: invalid destination (test number ending 04)";
  } else {
    if (magic == 3) throttled_.erase(req.job_id);
    ++counters_.accepted;
    r.kind = SubmitResult::Kind::kAccepted;
    r.message_id = "test-" + std::to_string(next_id_++);
    r.part_ids = {r.message_id};
    Receipt rc;
    rc.carrier = name_;
    rc.message_id = r.message_id;
    rc.state = magic == 1   ? ReceiptState::kUndelivered
               : magic == 2 ? ReceiptState::kExpired
                            : ReceiptState::kDelivered;
    rc.carrier_status = magic == 1 ? "UNDELIV" : magic == 2 ? "EXPIRED" : "DELIVRD";
    rc.error_code = magic == 1 ? "001" : "000";
    due_.push_back({uv_now(loop_) + static_cast<uint64_t>(receipt_delay_ms_), std::move(rc)});
  }
  // Answered on a later loop turn, as a real carrier's answer arrives.
  answers_.push_back([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  if (!uv_is_active(loop::AsHandle(&timer_))) {
    uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<TestCarrier*>(t->data)->OnTimer(); },
                   0, 10);
  }
}

void TestCarrier::OnTimer() {
  auto answers = std::move(answers_);
  answers_.clear();
  for (auto& a : answers) a();
  const uint64_t now = uv_now(loop_);
  while (!due_.empty() && due_.front().at_ms <= now) {
    Receipt rc = std::move(due_.front().receipt);
    due_.pop_front();
    ++counters_.receipts;
    if (receipts_) receipts_(std::move(rc), [] {});
  }
  if (due_.empty() && answers_.empty()) uv_timer_stop(&timer_);
}

void TestCarrier::Close(std::function<void()> done) {
  closing_ = true;
  loop::CloseAll({loop::AsHandle(&timer_)}, std::move(done));
}

}  // namespace sd::testmode
