#pragma once
// One bind of a carrier: owns one TCP connection at a time, drives one EsmeSession on it,
// reconnects with jittered capped backoff, and paces submits (configured TPS, adaptive slow-
// down on throttling). Parts queue here until the window and the pace allow them out; the
// queue is bounded by the carrier, which only hands a bind what it can take. SmppCarrier owns
// several of these and is the only user.
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "adapters/loop/uv_kit.h"
#include "adapters/net/stream_connection.h"
#include "core/send_rate.h"
#include "adapters/smpp/session.h"
#include "core/backoff.h"
#include "core/ports.h"

namespace sd::smpp {

struct SmppBindOptions {
  std::string name;  // "carrier#index", for logs
  std::string host = "127.0.0.1";
  int port = 2775;
  SessionConfig session;
  SendRateConfig rate;
  int64_t reconnect_initial_ms = 100;
  int64_t reconnect_max_ms = 10'000;
  int64_t connect_timeout_ms = 5'000;
  int64_t unbind_timeout_ms = 1'000;
  int64_t tick_ms = 100;
  // command_status values this SMSC uses for transient trouble beyond the SMPP 3.4 ones
  // (ClassifySubmitStatus in adapters/smpp/submit_status.h).
  std::vector<uint32_t> extra_temporary_statuses;
  // Null: plain TCP. Otherwise a client TlsContext built at start-up; the connection then
  // speaks only TLS (never falls back) and connect_timeout_ms covers the handshake too.
  std::shared_ptr<const net::TlsContext> tls;
  std::string tls_server_name;  // the name the SMSC's certificate must carry; empty = host
};

// Whether one job may still go on the wire, shared by all its parts (SmppCarrier keeps it in
// its Job): the bind asks the SubmitGate when the job's first part is about to be written,
// after the window and pace waits, since what the dispatcher checked before Submit() may be
// seconds old by then (a revoked key, an expired job).
struct JobClearance {
  enum class State : uint8_t {
    kOpen,      // nothing of the job is on the wire: the next part to be written asks the gate
    kPassed,    // the gate said yes and a part was written: the job's other parts follow unasked
                // (never orphan fragments); the carrier reopens it when the job is off the wire
    kWithheld,  // the gate said no: every part of the job still queued completes kWithheld
  };
  std::string key_id;
  std::string destination;
  std::string sender;
  JobKind kind = JobKind::kTransactional;
  int64_t expires_ms = 0;
  ZoneSet zones = kNoZones;
  State state = State::kOpen;
  GateVerdict verdict;  // why, once kWithheld
};

// What happened to one submit_sm.
struct PartResult {
  enum class Kind : uint8_t {
    kAccepted,
    kThrottled,  // ESME_RTHROTTLED / ESME_RMSGQFUL: send again later, the bind slowed down
    kTemporary,  // ESME_RSYSERR, ESME_RX_T_APPN, an operator's extra status, timeout, lost link
    kPermanent,  // any other status (ClassifySubmitStatus)
    kWithheld,   // never written: the SubmitGate refused the job (JobClearance::verdict)
  };
  Kind kind = Kind::kTemporary;
  uint32_t status = 0;
  std::string message_id;
  std::string detail;
};

struct SmppBindCounters {
  uint64_t connect_attempts = 0;
  uint64_t reconnects = 0;
  uint64_t connects = 0;
  uint64_t binds = 0;
  uint64_t bind_failures = 0;
  uint64_t disconnects = 0;
  uint64_t submits = 0;   // submit_sm PDUs sent
  uint64_t withheld = 0;  // parts not written because the SubmitGate refused their job
  uint64_t accepted = 0;
  uint64_t throttled = 0;
  uint64_t temporary_failures = 0;
  uint64_t permanent_failures = 0;
  uint64_t timeouts = 0;
  uint64_t receipts = 0;  // receipts parsed (with an id)
  uint64_t mo_messages = 0;
  // Flagged as receipts but unreadable: still forwarded (empty id, Receipt::raw), not in receipts.
  uint64_t unparsable_receipts = 0;
};

class SmppBind {
 public:
  using PartDone = std::function<void(PartResult)>;
  using ReceiptSink = std::function<void(Receipt receipt, std::function<void()> ack)>;
  // A deliver_sm that is not a receipt (what a recipient sent); `ack` answers it.
  using InboundSmSink = std::function<void(const ShortMessage& sm, std::function<void()> ack)>;

  SmppBind(uv_loop_t* loop, SmppBindOptions options);
  ~SmppBind();
  SmppBind(const SmppBind&) = delete;
  SmppBind& operator=(const SmppBind&) = delete;

  void Start();
  // Unbinds and closes; parts still queued or outstanding fail as kTemporary before `done`.
  void Close(std::function<void()> done);

  // Queues one part; `done` is called exactly once, never from inside Enqueue. With a gate
  // set and `clearance` given, the part is written only if its job is cleared (JobClearance).
  void Enqueue(ShortMessage sm, std::shared_ptr<JobClearance> clearance, PartDone done);
  // The gate asked before a job's first part is written; null: none. Outlives the bind.
  void SetGate(SubmitGate* gate) { gate_ = gate; }

  bool transmits() const { return options_.session.bind != BindType::kReceiver; }
  bool bound() const { return session_ && session_->state() == SessionState::kBound; }
  // Parts queued here plus submits waiting for their response.
  size_t load() const { return queue_.size() + inflight_.size(); }
  size_t window() const { return options_.session.window; }
  const SmppBindCounters& counters() const { return counters_; }
  const SendRate& send_rate() const { return rate_; }
  int64_t backoff_ms() const { return reconnect_.ceiling_ms(); }

  // Called after a part completes or the bind (re)binds: the carrier may have room again.
  std::function<void()> on_room;
  ReceiptSink on_receipt;
  // Without it a message a recipient sent is answered at once and only counted.
  InboundSmSink on_inbound;

 private:
  struct Queued {
    ShortMessage sm;
    std::shared_ptr<JobClearance> clearance;  // null: never checked
    PartDone done;
  };

  void Connect();
  // The deliver_sm_resp for `seq`, to send once what it carried is durable (a no-op once
  // that connection is gone).
  std::function<void()> AckLater(uint32_t seq);
  void ScheduleReconnect();
  void OnConnected(int status, const std::string& detail);
  void OnRead(std::string_view bytes);
  void OnTick();
  void ProcessEvents();
  bool OnSubmitAnswer(SessionEvent& e);
  void OnDeliver(SessionEvent& e);
  void Pump();
  // Asks the gate for the part's job if nothing of it is on the wire yet; false: withheld.
  bool Cleared(JobClearance* clearance);
  void SchedulePace(int64_t at_ns);
  void Disconnect(const std::string& reason);
  void RequestFlush();
  void Flush();
  void FailOutstanding(const std::string& why);
  void Defer(std::function<void()> fn);
  void OnCheck();
  void OnConnectionClosed();
  void MaybeClosed();
  int64_t NowMs() const { return static_cast<int64_t>(uv_now(loop_)); }
  static int64_t NowNs() { return static_cast<int64_t>(uv_hrtime()); }

  uv_loop_t* loop_;
  SmppBindOptions options_;
  std::unique_ptr<EsmeSession> session_;         // null while disconnected
  std::unique_ptr<net::StreamConnection> conn_;  // null while disconnected
  uint64_t generation_ = 0;  // bumps per connection: acks for an old one become no-ops
  SendRate rate_;
  SubmitGate* gate_ = nullptr;

  std::deque<Queued> queue_;                         // waiting for window space and pace
  std::unordered_map<uint32_t, PartDone> inflight_;  // by sequence number

  uv_timer_t tick_timer_;
  uv_timer_t reconnect_timer_;
  uv_timer_t pace_timer_;  // wakes Pump() when the pace allows the next part
  uv_idle_t flush_idle_;
  uv_check_t flush_check_;
  std::vector<std::function<void()>> deferred_;
  Backoff reconnect_;  // jittered, capped; reset by a good bind
  std::mt19937_64 rng_;
  bool closing_ = false;
  bool handles_closed_ = false;  // every handle closed: the bind may be destroyed
  int closing_connections_ = 0;
  std::function<void()> closed_;
  SmppBindCounters counters_;
};

}  // namespace sd::smpp
