#pragma once
// A carrier reached over SMPP 3.4 on TCP: owns the libuv socket and timers, drives one
// EsmeSession, reconnects with jittered capped backoff. Implements core's Carrier port.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "adapters/smpp/session.h"
#include "core/ports.h"

namespace sd::smpp {

struct SmppCarrierOptions {
  std::string name;
  std::string host = "127.0.0.1";
  int port = 2775;
  SessionConfig session;
  int64_t reconnect_initial_ms = 100;
  int64_t reconnect_max_ms = 10'000;
  int64_t connect_timeout_ms = 5'000;
  // Close() waits this long for unbind_resp: long enough for a healthy SMSC, short enough
  // that a shutdown is never held up by a dead one.
  int64_t unbind_timeout_ms = 1'000;
  int64_t tick_ms = 100;  // resolution of response timeouts and enquire_link
};

struct SmppCarrierCounters {
  uint64_t connect_attempts = 0;  // TCP connects started
  uint64_t reconnects = 0;        // connects started after a failure or a lost connection
  uint64_t connects = 0;          // TCP connections established
  uint64_t binds = 0;             // successful binds
  uint64_t bind_failures = 0;
  uint64_t disconnects = 0;
  uint64_t submits = 0;
  uint64_t accepted = 0;
  uint64_t temporary_failures = 0;
  uint64_t permanent_failures = 0;
  uint64_t timeouts = 0;
  uint64_t receipts = 0;
  uint64_t mo_messages = 0;          // non-receipt deliver_sm (answered, not processed yet)
  uint64_t unparsable_receipts = 0;  // esm_class says receipt but no id: answered, dropped
};

class SmppCarrier final : public Carrier {
 public:
  SmppCarrier(uv_loop_t* loop, SmppCarrierOptions options);
  ~SmppCarrier() override;
  SmppCarrier(const SmppCarrier&) = delete;
  SmppCarrier& operator=(const SmppCarrier&) = delete;

  // Starts connecting. Errors surface as reconnect attempts and counters, never exceptions.
  void Start();
  // Unbinds (waiting at most unbind_timeout_ms for unbind_resp), fails outstanding submits as
  // temporary, closes every handle; `done` runs from the last close callback, after which
  // the carrier may be destroyed. Destroying it before that is a bug (handles still open).
  void Close(std::function<void()> done);

  const std::string& name() const override { return options_.name; }
  bool Ready() const override;
  void Submit(SubmitRequest req, std::function<void(SubmitResult)> done) override;
  void SetReceiptHandler(ReceiptHandler handler) override { receipt_handler_ = std::move(handler); }
  void SetReadyHandler(std::function<void()> handler) override {
    ready_handler_ = std::move(handler);
  }

  const SmppCarrierCounters& counters() const { return counters_; }
  bool bound() const { return session_ && session_->state() == SessionState::kBound; }
  // The current reconnect backoff before jitter (0 after a good bind): lets tests check that
  // failures back off and stay capped without measuring time.
  int64_t backoff_ms() const { return backoff_ms_; }

 private:
  struct Connection;  // one TCP connection; freed in its close callback

  void Connect();
  void ScheduleReconnect();
  void OnConnected(int status);
  void OnConnectionClosed();
  void OnRead(ssize_t nread, const uv_buf_t* buf);
  void OnTick();
  void ProcessEvents();
  void Disconnect(const std::string& reason);
  void RequestFlush();
  void Flush();
  void FailOutstanding(const std::string& why);
  void Defer(std::function<void()> fn);
  void OnCheck();
  int64_t NowMs() const { return static_cast<int64_t>(uv_now(loop_)); }
  void MaybeClosed();

  uv_loop_t* loop_;
  SmppCarrierOptions options_;
  std::unique_ptr<EsmeSession> session_;  // null while disconnected
  Connection* conn_ = nullptr;            // current connection, null while disconnected
  uint64_t generation_ = 0;               // bumps per connection: stale acks become no-ops

  // Outstanding submits by sequence number: the completion plus the segment count.
  struct InFlight {
    std::function<void(SubmitResult)> done;
    int segments = 1;
  };
  std::unordered_map<uint32_t, InFlight> inflight_;

  uv_timer_t tick_timer_;       // drives session timeouts and enquire_link
  uv_timer_t reconnect_timer_;  // backoff between connection attempts
  uv_idle_t flush_idle_;        // keeps poll from blocking while output waits for the check
  uv_check_t flush_check_;      // coalesces all PDUs queued in one loop turn into one write
  std::vector<std::function<void()>> deferred_;  // completions never run inside Submit()
  int64_t backoff_ms_ = 0;
  std::mt19937_64 rng_;
  bool closing_ = false;
  // Our four handles plus connections whose close callback has not run yet: `closed_` runs
  // only when this reaches zero, so no callback can reach a destroyed carrier.
  int open_handles_ = 0;
  int closing_connections_ = 0;
  std::function<void()> closed_;

  ReceiptHandler receipt_handler_;
  std::function<void()> ready_handler_;
  SmppCarrierCounters counters_;
};

}  // namespace sd::smpp
