#pragma once
// A carrier reached over SMPP 3.4: several binds (transmitter / transceiver, plus optional
// receiver-only binds for receipts), each its own connection with its own window and pace.
// Splits long texts into parts, spreads jobs over the binds by load (all parts of one job on
// one bind, so they arrive in order), retries parts the SMSC throttles or fails temporarily,
// and normalises message ids so receipts match. Implements core's Carrier port.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "adapters/loop/uv_kit.h"
#include "adapters/smpp/smpp_bind.h"
#include "adapters/smpp/submit_parts.h"
#include "core/inbound.h"
#include "core/message_id.h"
#include "core/ports.h"

namespace sd::smpp {

struct SmppCarrierOptions {
  std::string name;
  std::string host = "127.0.0.1";
  int port = 2775;
  SessionConfig session;   // per bind; session.bind is the type of the transmitting binds
  int transmit_binds = 1;  // binds of type session.bind (transmitter or transceiver)
  int receiver_binds = 0;  // extra bind_receiver connections, for receipts only
  SendRateConfig rate;     // per bind: TPS ceiling and adaptive pace (core/send_rate.h)
  PartsOptions parts;      // long messages, data_coding, validity_period and TON/NPI
  // How this SMSC writes message ids in submit_sm_resp and in receipts (hex, decimal,
  // string): receipts are matched on the canonical form of both.
  MessageIdNormalizer ids;
  // A part the SMSC throttles is sent again (the bind slows down first) up to this often;
  // other temporary failures (ESME_RSYSERR, ESME_RX_T_APPN, the statuses below, timeout,
  // lost connection) up to the second, each retry after a backoff delay (retry_initial_ms,
  // retry_max_ms below).
  int max_throttled_attempts = 20;
  int max_temporary_attempts = 3;
  // Extra command_status values this SMSC means as "try again later" (vendor codes, or
  // ESME_RSUBMITFAIL where it is used for congestion): ClassifySubmitStatus. Config
  // [[carrier]] temporary_statuses.
  std::vector<uint32_t> extra_temporary_statuses;
  // Delay before the n-th temporary retry of a part: drawn from [max(initial, c/2), c] with
  // c = min(max, initial * 2^n), on the loop's timer, so a failing part never holds up other
  // jobs and many parts failing together do not come back together.
  int64_t retry_initial_ms = 50;
  int64_t retry_max_ms = 2'000;
  int64_t reconnect_initial_ms = 100;
  int64_t reconnect_max_ms = 10'000;
  int64_t connect_timeout_ms = 5'000;
  // Close() waits this long for unbind_resp: long enough for a healthy SMSC, short enough
  // that a shutdown is never held up by a dead one.
  int64_t unbind_timeout_ms = 1'000;
  int64_t tick_ms = 100;  // resolution of response timeouts, enquire_link and pacing steps
  // Null: plain TCP. Otherwise every bind speaks TLS only (adapters/net, docs/tls.md).
  std::shared_ptr<const net::TlsContext> tls;
  std::string tls_server_name;  // the name the SMSC's certificate must carry; empty = host
  // What data_coding 0x00 (the SMSC's default alphabet) means in messages recipients send.
  MoCoding mo_default_coding = MoCoding::kGsm7;
};

struct SmppCarrierCounters {
  // Sums over the binds (see SmppBindCounters).
  uint64_t connect_attempts = 0;
  uint64_t reconnects = 0;
  uint64_t connects = 0;
  uint64_t binds = 0;
  uint64_t bind_failures = 0;
  uint64_t disconnects = 0;
  uint64_t pdus_submitted = 0;
  uint64_t throttled = 0;
  uint64_t timeouts = 0;
  uint64_t receipts = 0;
  uint64_t mo_messages = 0;
  uint64_t unparsable_receipts = 0;
  // Per job (a job is one Submit call, however many parts).
  uint64_t submits = 0;
  uint64_t accepted = 0;
  uint64_t temporary_failures = 0;
  uint64_t permanent_failures = 0;
  uint64_t multipart = 0;          // jobs sent in more than one part
  uint64_t parts = 0;              // parts handed to binds (first attempts)
  uint64_t part_retries = 0;       // parts sent again after a throttle or temporary failure
  uint64_t temporary_retries = 0;  // of those, after a temporary failure and a backoff delay
  uint64_t partially_sent = 0;     // jobs where some parts were accepted and others failed
  uint64_t withheld = 0;           // jobs the SubmitGate refused before any part was written
  uint64_t odd_message_ids = 0;    // ids that did not parse in the configured format
  // Every counter by name, in declaration order: the one list every reporter (log line,
  // the stats hash, `smsdispatch stats`) reads, so a new counter shows up everywhere.
  template <typename F>
  void ForEach(F&& f) const {
    f("connect_attempts", connect_attempts);
    f("reconnects", reconnects);
    f("connects", connects);
    f("binds", binds);
    f("bind_failures", bind_failures);
    f("disconnects", disconnects);
    f("pdus_submitted", pdus_submitted);
    f("throttled", throttled);
    f("timeouts", timeouts);
    f("receipts", receipts);
    f("mo_messages", mo_messages);
    f("unparsable_receipts", unparsable_receipts);
    f("submits", submits);
    f("accepted", accepted);
    f("temporary_failures", temporary_failures);
    f("permanent_failures", permanent_failures);
    f("multipart", multipart);
    f("parts", parts);
    f("part_retries", part_retries);
    f("temporary_retries", temporary_retries);
    f("partially_sent", partially_sent);
    f("withheld", withheld);
    f("odd_message_ids", odd_message_ids);
  }
};

class SmppCarrier final : public Carrier {
 public:
  SmppCarrier(uv_loop_t* loop, SmppCarrierOptions options);
  ~SmppCarrier() override;
  SmppCarrier(const SmppCarrier&) = delete;
  SmppCarrier& operator=(const SmppCarrier&) = delete;

  void Start();
  // Unbinds every bind, fails what is queued or outstanding as temporary, closes every
  // handle; `done` runs once all binds are closed, after which the carrier may be destroyed.
  void Close(std::function<void()> done);

  const std::string& name() const override { return options_.name; }
  bool Ready() const override;
  void Submit(SubmitRequest req, std::function<void(SubmitResult)> done) override;
  void SetReceiptHandler(ReceiptHandler handler) override { receipt_handler_ = std::move(handler); }
  void SetReadyHandler(std::function<void()> handler) override {
    ready_handler_ = std::move(handler);
  }
  // Every bind asks it before writing a job's first part (JobClearance in smpp_bind.h).
  void SetSubmitGate(SubmitGate* gate) override;
  // What recipients send (core/inbound.h), each to be answered by `ack` once durable.
  // Without a handler a binds answers such a message at once and only counts it.
  using InboundHandler = std::function<void(InboundPart part, std::function<void()> ack)>;
  void SetInboundHandler(InboundHandler handler);

  // A fresh sum over the binds plus the carrier's own counts.
  SmppCarrierCounters counters() const;
  bool bound() const;  // at least one transmitting bind is bound
  size_t bound_binds() const;
  const std::vector<std::unique_ptr<SmppBind>>& binds() const { return binds_; }
  // The largest current reconnect backoff over the binds (tests: backoff stays capped).
  int64_t backoff_ms() const;

 private:
  struct Job;  // one Submit: its parts and their state

  SmppBind* PickBind(size_t parts);
  void SendPart(const std::shared_ptr<Job>& job, size_t index, SmppBind* bind);
  void OnPartDone(const std::shared_ptr<Job>& job, size_t index, PartResult r);
  void Finish(const std::shared_ptr<Job>& job);
  void Defer(std::function<void()> fn);
  // A part that failed temporarily waits here for its backoff delay, then goes to a bind.
  void ScheduleRetry(const std::shared_ptr<Job>& job, size_t index);
  void OnRetryTimer();
  void ArmRetryTimer();
  static bool SiblingRefused(const Job& job);  // a part finished with a permanent status
  // Before a part is sent again: a job with no part accepted or at a bind is off the wire, so
  // the gate is asked again (a retry may come seconds later). Otherwise the part follows its
  // siblings unasked, so a job already partly sent is never cut short.
  static void ReopenIfOffTheWire(Job& job);
  void FinishPart(const std::shared_ptr<Job>& job, size_t index, PartResult r);
  // Canonical correlation key of a message id from a submit_sm_resp or a receipt; counts ids
  // that do not parse in the configured format.
  std::string MatchKey(std::string_view id, bool submitted);
  void OnBindClosed();

  uv_loop_t* loop_;
  SmppCarrierOptions options_;
  std::vector<std::unique_ptr<SmppBind>> binds_;
  size_t next_bind_ = 0;    // round-robin start among equally loaded binds
  uint16_t next_ref_;       // concatenation reference, per carrier, wraps
  uv_timer_t retry_timer_;  // fires at the earliest due retry in retries_
  // Parts waiting out a backoff, by due time (loop ms). A multimap: many parts may be due in
  // the same millisecond, and they go out in the order they failed.
  struct Retry {
    std::shared_ptr<Job> job;
    size_t index;
  };
  std::multimap<uint64_t, Retry> retries_;
  std::mt19937_64 rng_;       // retry jitter
  loop::NextTurn next_turn_;  // deferred completions; closed last, in OnBindClosed
  bool closing_ = false;
  int open_binds_ = 0;
  std::function<void()> closed_;
  ReceiptHandler receipt_handler_;
  InboundHandler inbound_handler_;
  std::function<void()> ready_handler_;
  SmppCarrierCounters own_;
};

}  // namespace sd::smpp
