#pragma once
// The Dispatcher's two ports as fakes, and signed job entries, for unit tests of the
// Dispatcher (dispatcher_test.cc) and of what reads its counters (stats_report_test.cc).
// Fakes of one class's collaborators: the decision core and the MAC stay real.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/envelope.h"
#include "core/ports.h"

namespace sd::testing_fakes {

inline constexpr int64_t kNow = 1'700'000'000'000;
inline const std::string kStream = "sd:jobs";
inline const std::string kSecret(32, 'k');

// A signed OTP job entry as a producer makes it: entry id "1-<seq>", key k.v1 on kStream.
inline StreamEntry SignedEntry(const MacAlgorithm& mac, int seq, const std::string& job_id,
                               const std::string& to, const std::string& secret, int64_t expires,
                               int64_t send_at = 0) {
  Job job;
  job.id = job_id;
  job.created_ms = kNow;
  job.expires_ms = expires;
  job.send_at_ms = send_at;
  job.destination = to;
  job.sender = "ACME";
  job.text = "Your code is 123456";
  job.kind = JobKind::kOtp;
  StreamEntry e;
  e.entry_id = "1-" + std::to_string(seq);
  e.version = "sd1";
  e.key_id = "k.v1";
  e.job = EncodeJob(job);
  e.sig = SignJob(mac, secret, e.key_id, kStream, e.job);
  return e;
}

class FakeStore final : public JobStore {
 public:
  void SetBatchHandler(BatchHandler h) override { handler = std::move(h); }
  void GrantCredit(size_t c) override { credit += c; }
  void StopReading() override { reading = false; }
  void Claim(std::vector<ClaimRequest> reqs,
             std::function<void(std::vector<ClaimState>)> done) override {
    claim_reqs.insert(claim_reqs.end(), reqs.begin(), reqs.end());
    std::vector<ClaimState> states;
    for (auto& r : reqs) {
      auto it = claim_script.find(r.job_id);
      states.push_back(it == claim_script.end() ? ClaimState::kNew : it->second);
    }
    pending_claims.push_back([done = std::move(done), states] { done(states); });
  }
  void Commit(Outcome outcome, std::function<void()> done) override {
    commits.push_back(outcome);
    pending_writes.push_back(std::move(done));
  }
  void PutReceipt(Receipt receipt, std::function<void()> done) override {
    receipts.push_back(receipt);
    pending_writes.push_back(std::move(done));
  }
  // Replies arrive later, like Redis replies on the loop.
  void Flush() {
    while (!pending_claims.empty() || !pending_writes.empty()) {
      auto claims = std::move(pending_claims);
      pending_claims.clear();
      for (auto& c : claims) c();
      auto writes = std::move(pending_writes);
      pending_writes.clear();
      for (auto& w : writes) w();
    }
  }

  BatchHandler handler;
  size_t credit = 0;
  bool reading = true;
  std::map<std::string, ClaimState> claim_script;
  std::vector<ClaimRequest> claim_reqs;
  std::vector<Outcome> commits;
  std::vector<Receipt> receipts;
  std::vector<std::function<void()>> pending_claims;
  std::vector<std::function<void()>> pending_writes;
};

class FakeCarrier final : public Carrier {
 public:
  const std::string& name() const override { return name_; }
  bool Ready() const override { return ready && outstanding.size() < window; }
  void Submit(SubmitRequest req, std::function<void(SubmitResult)> done) override {
    submits.push_back(req);
    outstanding.push_back(std::move(done));
  }
  void SetReceiptHandler(ReceiptHandler h) override { receipt_handler = std::move(h); }
  void SetReadyHandler(std::function<void()> h) override { ready_handler = std::move(h); }
  void SetSubmitGate(SubmitGate* g) override { gate = g; }
  // Completes the oldest outstanding submit as refused by the gate, for `reason` (and, for
  // quiet hours, until `retry_at_ms`).
  void CompleteFirstWithheld(Reason reason, const char* detail, int64_t retry_at_ms = 0) {
    auto done = std::move(outstanding.front());
    outstanding.erase(outstanding.begin());
    SubmitResult r;
    r.kind = SubmitResult::Kind::kWithheld;
    r.withheld = reason;
    r.retry_at_ms = retry_at_ms;
    r.detail = detail;
    done(r);
  }
  void CompleteAll(SubmitResult::Kind kind, uint32_t status = 0) {
    auto out = std::move(outstanding);
    outstanding.clear();
    for (auto& d : out) {
      SubmitResult r;
      r.kind = kind;
      r.carrier_status = status;
      r.message_id = "m" + std::to_string(++ids);
      r.segments = 1;
      d(r);
    }
  }

  std::string name_ = "sim";
  bool ready = true;
  size_t window = 1000;
  int ids = 0;
  std::vector<SubmitRequest> submits;
  std::vector<std::function<void(SubmitResult)>> outstanding;
  ReceiptHandler receipt_handler;
  std::function<void()> ready_handler;
  SubmitGate* gate = nullptr;
};

// Records what is deferred; `done` runs at Flush(), as when the queue's write is durable.
class FakeDeferQueue final : public DeferQueue {
 public:
  struct Deferred {
    StreamEntry entry;
    std::string job_id;
    int64_t due_ms;
  };
  void Defer(StreamEntry entry, std::string job_id, int64_t due_ms,
             std::function<void()> done) override {
    deferred.push_back({std::move(entry), std::move(job_id), due_ms});
    pending.push_back(std::move(done));
  }
  void Flush() {
    auto p = std::move(pending);
    pending.clear();
    for (auto& d : p) d();
  }
  std::vector<Deferred> deferred;
  std::vector<std::function<void()>> pending;
};

}  // namespace sd::testing_fakes
