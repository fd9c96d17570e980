#pragma once
// A carrier reached over an HTTPS REST API, behind the same Carrier port as SMPP: one request
// per job (the provider splits long texts; the job's segments are still reported for limits),
// paced by core/send_rate.h, at most `window` jobs held at once, and every answer classified
// in one place (submit_response.h):
//   accepted   -> the job's outcome carries the provider's message id (receipts match on it);
//   throttled  -> the carrier's pace halves and pauses; Retry-After holds back every request
//                 to this carrier until it has passed; the job goes again (max_throttled_attempts);
//   temporary  -> the job goes again after a jittered backoff (or Retry-After, if longer), with
//                 the same idempotency key (max_temporary_attempts), then fails temporarily;
//   permanent  -> the job fails with the HTTP status as carrier_status and the provider's code.
// The SubmitGate is asked right before a job's first request, and before each resend while no
// earlier request of it may have reached the provider (a lost answer may mean it did: such a
// job is finished, never cut short).
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>

#include "adapters/http/curl_multi.h"
#include "adapters/http/request_template.h"
#include "adapters/http/submit_response.h"
#include "adapters/loop/uv_kit.h"
#include "core/backoff.h"
#include "core/ports.h"
#include "core/send_rate.h"
#include "core/submit_gate.h"

namespace sd::http {

struct HttpCarrierOptions {
  std::string name;
  RequestTemplate request;
  ResponseShape response;
  HttpClientOptions client;
  SendRateConfig rate;  // tps ceiling (0 = none) and the adaptive pace after 429/503
  size_t window = 64;   // jobs held at once: waiting for the pace, in flight, or for a retry
  int max_throttled_attempts = 20;
  int max_temporary_attempts = 3;
  int64_t retry_initial_ms = 500;
  int64_t retry_max_ms = 30'000;
};

struct HttpCarrierCounters {
  uint64_t submits = 0;             // jobs handed to the carrier
  uint64_t requests = 0;            // requests sent (first attempts and retries)
  uint64_t accepted = 0;
  uint64_t throttled = 0;           // answers classified throttled (429, 503, ...)
  uint64_t temporary = 0;           // answers classified temporary (5xx, transport errors)
  uint64_t transport_errors = 0;    // of those, no HTTP answer at all
  uint64_t temporary_failures = 0;  // jobs that ended as a temporary failure
  uint64_t permanent_failures = 0;  // jobs refused by the provider
  uint64_t retries = 0;             // requests that were resends
  uint64_t retry_after_waits = 0;   // Retry-After values honoured
  uint64_t withheld = 0;            // jobs the SubmitGate refused before a request was sent
  uint64_t connections = 0;         // connections opened (keep-alive reuse keeps this low)

  template <typename F>
  void ForEach(F&& f) const {
    f("submits", submits);
    f("requests", requests);
    f("accepted", accepted);
    f("throttled", throttled);
    f("temporary", temporary);
    f("transport_errors", transport_errors);
    f("temporary_failures", temporary_failures);
    f("permanent_failures", permanent_failures);
    f("retries", retries);
    f("retry_after_waits", retry_after_waits);
    f("withheld", withheld);
    f("connections", connections);
  }
};

class HttpCarrier final : public Carrier {
 public:
  HttpCarrier(uv_loop_t* loop, HttpCarrierOptions options);
  // Close() must have completed before destruction.
  ~HttpCarrier() override;
  HttpCarrier(const HttpCarrier&) = delete;
  HttpCarrier& operator=(const HttpCarrier&) = delete;

  const std::string& name() const override { return options_.name; }
  bool Ready() const override;
  void Submit(SubmitRequest req, std::function<void(SubmitResult)> done) override;
  // Receipts arrive through the daemon's webhook listener, which hands them to this handler.
  void SetReceiptHandler(ReceiptHandler handler) override { receipt_handler_ = std::move(handler); }
  const ReceiptHandler& receipt_handler() const { return receipt_handler_; }
  void SetReadyHandler(std::function<void()> handler) override {
    ready_handler_ = std::move(handler);
  }
  void SetSubmitGate(SubmitGate* gate) override { gate_ = gate; }

  // Fails every held job as temporary (in-flight ones may have reached the provider: they are
  // resent on restart with the same idempotency key), closes the client; `done` once every
  // handle is closed.
  void Close(std::function<void()> done);

  HttpCarrierCounters counters() const;
  size_t held() const { return held_.size(); }
  // Until when (uv_now ms) Retry-After holds requests back; 0 = not paused.
  uint64_t paused_until_ms() const { return paused_until_ms_; }

 private:
  struct Job;
  using JobPtr = std::shared_ptr<Job>;

  void Pump();
  void SendNow(const JobPtr& job);
  void OnAnswer(const JobPtr& job, HttpResponse response);
  void Retry(const JobPtr& job, uint64_t delay_ms);
  void Complete(const JobPtr& job, SubmitResult result);
  // A temporary or permanent failure, counted, with the HTTP status (0: none) and detail.
  void Fail(const JobPtr& job, SubmitResult::Kind kind, uint32_t http_status, std::string detail);
  void ArmTimer();
  void Defer(std::function<void()> fn);

  uv_loop_t* loop_;
  HttpCarrierOptions options_;
  CurlMulti client_;
  SendRate rate_;
  std::mt19937_64 rng_;
  uv_timer_t timer_;
  loop::NextTurn next_turn_;
  std::deque<JobPtr> ready_;                 // may go as soon as the pace allows
  std::multimap<uint64_t, JobPtr> waiting_;  // due (uv_now ms) -> job waiting out a backoff
  std::unordered_map<Job*, JobPtr> held_;    // ready + waiting + in flight
  uint64_t paused_until_ms_ = 0;
  HttpCarrierCounters counters_;
  SubmitGate* gate_ = nullptr;
  ReceiptHandler receipt_handler_;
  std::function<void()> ready_handler_;
  bool closing_ = false;
};

}  // namespace sd::http
