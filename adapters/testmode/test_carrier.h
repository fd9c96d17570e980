#pragma once
// The built-in carrier of test-mode keys (docs/keys.md, "Test keys"): jobs signed with a test
// key go through every check, then here instead of any carrier of the config, and nothing
// leaves the process. The destination's last two digits choose what happens, so a producer
// can see each outcome without a handset (docs/api.md, "Test numbers"):
//
//   ...01  accepted, then an `undelivered` receipt
//   ...02  accepted, then an `expired` receipt
//   ...03  throttled once (a temporary failure the dispatcher retries), then delivered
//   ...04  refused by the carrier as an invalid destination (carrier_rejected)
//   other  accepted, then a `delivered` receipt
//
// Receipts arrive receipt_delay_ms after the submit, through the same receipt path as a real
// carrier's (correlation, one receipt per job, the outcome and receipt streams).
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_set>

#include "core/ports.h"

namespace sd::testmode {

struct TestCarrierCounters {
  uint64_t submits = 0;
  uint64_t accepted = 0;
  uint64_t throttled = 0;
  uint64_t rejected = 0;
  uint64_t receipts = 0;
  template <typename F>
  void ForEach(F&& f) const {
    f("submits", submits);
    f("accepted", accepted);
    f("throttled", throttled);
    f("rejected", rejected);
    f("receipts", receipts);
  }
};

class TestCarrier final : public Carrier {
 public:
  static constexpr const char* kName = "test";

  TestCarrier(uv_loop_t* loop, int64_t receipt_delay_ms = 50);
  ~TestCarrier() override;
  TestCarrier(const TestCarrier&) = delete;
  TestCarrier& operator=(const TestCarrier&) = delete;

  const std::string& name() const override { return name_; }
  bool Ready() const override { return !closing_; }
  void Submit(SubmitRequest req, std::function<void(SubmitResult)> done) override;
  void SetReceiptHandler(ReceiptHandler handler) override { receipts_ = std::move(handler); }
  void SetReadyHandler(std::function<void()> handler) override { ready_ = std::move(handler); }
  void SetSubmitGate(SubmitGate* gate) override { gate_ = gate; }
  void Close(std::function<void()> done);

  const TestCarrierCounters& counters() const { return counters_; }

 private:
  struct Due {
    uint64_t at_ms;
    Receipt receipt;
  };
  void OnTimer();

  uv_loop_t* loop_;
  int64_t receipt_delay_ms_;
  std::string name_ = kName;
  uv_timer_t timer_;
  bool closing_ = false;
  uint64_t next_id_ = 1;
  std::deque<Due> due_;                        // receipts to send, in time order
  std::deque<std::function<void()>> answers_;  // submit answers for the next turn
  std::unordered_set<std::string> throttled_;  // job ids throttled once (bounded)
  ReceiptHandler receipts_;
  std::function<void()> ready_;
  SubmitGate* gate_ = nullptr;
  TestCarrierCounters counters_;
};

}  // namespace sd::testmode
