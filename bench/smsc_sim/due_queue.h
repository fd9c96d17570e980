#pragma once
// The simulator's clock-driven work: submit responses held back by --submit-latency-ms,
// receipts due after --receipt-delay-ms, and receipts waiting for a receiver of their
// system_id to bind (within --max-waiting-receipts). One timer serves both delays; latencies
// are constant, so FIFO order is due order and deques replace heaps.
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include "bench/smsc_sim/receipt.h"
#include "bench/smsc_sim/sim_counters.h"
#include "bench/smsc_sim/sim_options.h"

namespace sd::smsc_sim {

class DueQueue {
 public:
  // How due work leaves; the Smsc owns the connections.
  struct Hooks {
    // Hands a held response to its client; false when the client is gone or draining (the
    // answer is lost, like one in flight on a broken link).
    std::function<bool(uint64_t client_id, const std::string& bytes)> respond;
    // Sends a receipt to a bound receiver of its system_id; false when none is bound.
    std::function<bool(const Receipt&)> send_receipt;
    // After each batch of due work: write what it produced.
    std::function<void()> flush;
  };

  DueQueue(uv_loop_t* loop, const Options& options, Counters& counters, Hooks hooks);
  DueQueue(const DueQueue&) = delete;
  DueQueue& operator=(const DueQueue&) = delete;

  // Queue work, then Arm() once (a submit may add both).
  void HoldResponse(uint64_t client_id, std::string bytes);
  void ScheduleReceipt(Receipt r);
  void Arm();

  // Holds a receipt until a receiver binds; counts it dropped when the queue is full.
  void Wait(Receipt r);
  // Sends waiting receipts while a receiver takes them.
  void DrainWaiting();

  // Stops the timer for good (the simulator is stopping).
  void Close();

  size_t waiting() const { return waiting_.size(); }
  size_t scheduled() const { return receipts_.size(); }

 private:
  struct HeldResponse {
    uint64_t due_ms;
    uint64_t client_id;
    std::string bytes;  // encoded submit_sm_resp
  };
  struct DueReceipt {
    uint64_t due_ms;
    Receipt receipt;
  };

  void RunDue();
  void ExpireIfInvalid(Receipt& r);

  uv_loop_t* loop_;
  const Options& options_;
  Counters& counters_;
  Hooks hooks_;
  uv_timer_t timer_;
  bool closed_ = false;
  std::deque<HeldResponse> responses_;
  std::deque<DueReceipt> receipts_;
  std::deque<Receipt> waiting_;
};

}  // namespace sd::smsc_sim
