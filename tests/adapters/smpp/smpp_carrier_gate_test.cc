// The SubmitGate at the SMPP carrier, against the real smsc-sim: a paced bind holds many jobs
// in its queue, and a key revoked (or an expiry passed) meanwhile must stop every job that has
// not yet gone on the wire, not only those still waiting in front of the carrier. Also: a
// multipart job whose first part went is sent whole, and a job resent after a throttle or a
// temporary failure is checked again. The revocation happens between loop runs on this thread,
// so "after it" is exact: no assertion depends on timing.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "adapters/smpp/smpp_carrier.h"
#include "tests/adapters/smpp/sim_harness.h"
#include "tests/support/uv_test_loop.h"

namespace sd::smpp {
namespace {

using sim_harness::Simulator;

// What the daemon's Dispatcher does, with a revocation list and a clock the test sets.
class TestGate final : public SubmitGate {
 public:
  GateVerdict Check(const GateQuery& job) override {
    const std::string_view key_id = job.key_id, destination = job.destination;
    const int64_t expires_ms = job.expires_ms;
    ++checks;
    last_destination = std::string(destination);
    if (expires_ms <= now_ms) return {Reason::kExpired, "expired before it could be submitted"};
    const bool revoked = revoked_ids.count(std::string(key_id)) > 0;
    if (revoke_after_next_check) revoked_ids.insert(std::string(key_id));
    revoke_after_next_check = false;
    if (revoked) return {Reason::kRevokedKey, "key revoked after the job was admitted"};
    return {};
  }

  int64_t now_ms = 0;
  std::string last_destination;  // what the bind asked about (the job's own)
  std::set<std::string> revoked_ids;
  // The key of the next job checked is revoked right after that check says yes: as if the
  // revocation arrived while that job's first part was being written.
  bool revoke_after_next_check = false;
  int checks = 0;
};

struct TestJob {
  SubmitRequest req;
  int calls = 0;
  SubmitResult result;
};

class SmppCarrierGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (sim_harness::kSimBinary == nullptr) GTEST_SKIP() << "smsc-sim not built";
  }

  static SmppCarrierOptions Options(int port) {
    SmppCarrierOptions o;
    o.name = "sim";
    o.port = port;
    o.session.system_id = "sim";
    o.session.password = "simpw";
    o.session.window = 64;
    o.session.response_timeout_ms = 60'000;  // a slow machine must not turn into timeouts
    o.session.registered_delivery = 0;
    o.reconnect_initial_ms = 20;
    o.reconnect_max_ms = 200;
    o.tick_ms = 20;
    return o;
  }

  static SubmitRequest Request(int i, std::string key, int64_t expires_ms, size_t length = 8) {
    SubmitRequest r;
    r.destination = "+4915100" + std::to_string(100000 + i);
    r.sender = "ACME";
    r.text.coding = DataCoding::kGsm7;
    r.text.bytes = std::string(length, 'a');
    r.key_id = std::move(key);
    r.expires_ms = expires_ms;
    return r;
  }

  // Submits every job not yet submitted while the carrier is Ready().
  void Pump(SmppCarrier& carrier) {
    while (next_ < jobs_.size() && carrier.Ready()) {
      const size_t i = next_++;
      carrier.Submit(jobs_[i].req, [this, i](SubmitResult r) {
        ++jobs_[i].calls;
        jobs_[i].result = std::move(r);
        ++completed_;
      });
    }
  }

  size_t Count(SubmitResult::Kind kind) const {
    size_t n = 0;
    for (const TestJob& j : jobs_) n += j.calls > 0 && j.result.kind == kind;
    return n;
  }

  bool Run(const std::function<bool()>& cond) {
    return loop_.RunUntil(cond, std::chrono::seconds(30));
  }

  void CloseAndCheck(SmppCarrier& carrier) {
    bool closed = false;
    carrier.Close([&] { closed = true; });
    EXPECT_EQ(loop_.RunToCompletionAndClose(), 0) << "a handle was left open";
    EXPECT_TRUE(closed);
  }

  testing::UvTestLoop loop_;
  TestGate gate_;
  std::vector<TestJob> jobs_;
  size_t next_ = 0;
  size_t completed_ = 0;
};

// 40 jobs of two keys wait in a bind paced at 20/s. Once a few went, key k1 is revoked: not
// one more submit_sm leaves the bind for k1, its queued jobs end kWithheld (revoked_key), and
// k2's jobs all still go.
TEST_F(SmppCarrierGateTest, ARevokedKeyStopsItsJobsAlreadyQueuedInTheBind) {
  Simulator sim;
  ASSERT_GT(sim.port(), 0) << sim.Log();
  SmppCarrierOptions o = Options(sim.port());
  o.rate.tps = 20;
  SmppCarrier carrier(loop_.get(), o);
  carrier.SetSubmitGate(&gate_);
  carrier.SetReceiptHandler([](Receipt, std::function<void()> ack) { ack(); });
  constexpr int kJobs = 40;
  for (int i = 0; i < kJobs; ++i) jobs_.push_back({Request(i, i % 2 ? "k2" : "k1", 1'000)});
  carrier.SetReadyHandler([&] { Pump(carrier); });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return carrier.counters().accepted >= 4; }));
  ASSERT_EQ(next_, jobs_.size()) << "every job must be queued at the carrier already";
  const uint64_t sent_before = carrier.counters().pdus_submitted;
  ASSERT_LT(sent_before, static_cast<uint64_t>(kJobs) / 2) << "too late to prove anything";
  std::set<int> k1_sent;
  for (int i = 0; i < kJobs; i += 2) {
    if (jobs_[i].calls > 0) k1_sent.insert(i);
  }
  gate_.revoked_ids.insert("k1");

  ASSERT_TRUE(Run([&] { return completed_ == jobs_.size(); })) << completed_;
  const SmppCarrierCounters c = carrier.counters();
  size_t k1_accepted = 0;
  for (int i = 0; i < kJobs; ++i) {
    const TestJob& j = jobs_[i];
    EXPECT_EQ(j.calls, 1) << i;
    if (i % 2 == 1) {
      EXPECT_EQ(j.result.kind, SubmitResult::Kind::kAccepted) << "k2 job " << i;
      continue;
    }
    if (j.result.kind == SubmitResult::Kind::kAccepted) {
      ++k1_accepted;
      continue;
    }
    EXPECT_EQ(j.result.kind, SubmitResult::Kind::kWithheld) << "k1 job " << i;
    EXPECT_EQ(j.result.withheld, Reason::kRevokedKey) << i;
    EXPECT_EQ(j.result.detail, "key revoked after the job was admitted") << i;
  }
  // Only k1's jobs that were complete or on the wire before the revocation went.
  EXPECT_LE(k1_accepted, sent_before);
  EXPECT_EQ(c.pdus_submitted, k1_accepted + kJobs / 2) << "a k1 job was written after revoke";
  EXPECT_GT(c.withheld, 0u);
  EXPECT_EQ(c.withheld + k1_accepted, static_cast<uint64_t>(kJobs / 2));
  EXPECT_EQ(Count(SubmitResult::Kind::kWithheld), c.withheld);
  EXPECT_EQ(sim.Counters()["submits"], static_cast<long long>(c.pdus_submitted));
  CloseAndCheck(carrier);
}

// The same for expiry: the gate's clock passes the expiry of half the queued jobs, which
// then never reach the SMSC and end kWithheld (expired); the others go.
TEST_F(SmppCarrierGateTest, JobsQueuedInTheBindPastTheirExpiryAreNeverWritten) {
  Simulator sim;
  ASSERT_GT(sim.port(), 0) << sim.Log();
  SmppCarrierOptions o = Options(sim.port());
  o.rate.tps = 20;
  SmppCarrier carrier(loop_.get(), o);
  carrier.SetSubmitGate(&gate_);
  carrier.SetReceiptHandler([](Receipt, std::function<void()> ack) { ack(); });
  constexpr int kJobs = 40;
  for (int i = 0; i < kJobs; ++i) jobs_.push_back({Request(i, "k1", i % 2 ? 9'000 : 5'000)});
  carrier.SetReadyHandler([&] { Pump(carrier); });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return carrier.counters().accepted >= 4; }));
  const uint64_t sent_before = carrier.counters().pdus_submitted;
  ASSERT_LT(sent_before, static_cast<uint64_t>(kJobs) / 2) << "too late to prove anything";
  gate_.now_ms = 5'000;  // the even jobs expire now

  ASSERT_TRUE(Run([&] { return completed_ == jobs_.size(); })) << completed_;
  size_t early_accepted = 0;
  for (int i = 0; i < kJobs; ++i) {
    const TestJob& j = jobs_[i];
    EXPECT_EQ(j.calls, 1) << i;
    if (i % 2 == 1) {
      EXPECT_EQ(j.result.kind, SubmitResult::Kind::kAccepted) << i;
    } else if (j.result.kind == SubmitResult::Kind::kAccepted) {
      ++early_accepted;
    } else {
      EXPECT_EQ(j.result.kind, SubmitResult::Kind::kWithheld) << i;
      EXPECT_EQ(j.result.withheld, Reason::kExpired) << i;
    }
  }
  EXPECT_LE(early_accepted, sent_before);
  // The gate is asked about the job's own destination (a blocked prefix is refused there).
  EXPECT_EQ(gate_.last_destination.rfind("+4915100", 0), 0u) << gate_.last_destination;
  EXPECT_EQ(carrier.counters().pdus_submitted, early_accepted + kJobs / 2);
  EXPECT_EQ(sim.Counters()["submits"], static_cast<long long>(early_accepted + kJobs / 2));
  CloseAndCheck(carrier);
}

// The gate is asked once per job, when its first part is written; revoked right after that,
// the job's other parts still follow (no orphan fragments) and the SMSC reassembles it whole.
// The next job of that key is then withheld.
TEST_F(SmppCarrierGateTest, AMultipartJobWhoseFirstPartWentIsSentWhole) {
  Simulator sim;
  ASSERT_GT(sim.port(), 0) << sim.Log();
  SmppCarrierOptions o = Options(sim.port());
  o.rate.tps = 20;  // the other parts wait for the pace after the first one went
  SmppCarrier carrier(loop_.get(), o);
  carrier.SetSubmitGate(&gate_);
  jobs_.push_back({Request(0, "k1", 1'000, 400)});  // three parts
  jobs_.push_back({Request(1, "k1", 1'000)});
  gate_.revoke_after_next_check = true;
  carrier.SetReadyHandler([&] { Pump(carrier); });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return completed_ == jobs_.size(); })) << completed_;
  EXPECT_EQ(jobs_[0].result.kind, SubmitResult::Kind::kAccepted) << jobs_[0].result.detail;
  EXPECT_EQ(jobs_[0].result.part_ids.size(), 3u);
  EXPECT_EQ(jobs_[1].result.kind, SubmitResult::Kind::kWithheld);
  EXPECT_EQ(jobs_[1].result.withheld, Reason::kRevokedKey);
  EXPECT_EQ(gate_.checks, 2) << "one check per job, not per part";
  auto st = sim.Counters();
  EXPECT_EQ(st["submits"], 3);
  EXPECT_EQ(st["messages"], 1);
  CloseAndCheck(carrier);
}

// A job the SMSC throttled or failed temporarily is sent again later, when nothing of it is
// on the wire: the gate is asked again, and a key revoked since its first attempt stops it.
class SmppCarrierGateResendTest : public SmppCarrierGateTest,
                                  public ::testing::WithParamInterface<const char*> {};

TEST_P(SmppCarrierGateResendTest, AJobSentAgainIsCheckedAgain) {
  const bool throttle = std::string(GetParam()) == "throttled";
  Simulator sim(throttle ? std::vector<std::string>{"--msgqful-every", "1"}
                         : std::vector<std::string>{"--temp-error-every", "1"});
  ASSERT_GT(sim.port(), 0) << sim.Log();
  SmppCarrierOptions o = Options(sim.port());
  o.rate.throttle_pause_ms = 10;
  o.rate.max_throttle_pause_ms = 20;
  o.retry_initial_ms = 5;
  o.retry_max_ms = 20;
  SmppCarrier carrier(loop_.get(), o);
  carrier.SetSubmitGate(&gate_);
  jobs_.push_back({Request(0, "k1", 1'000)});
  gate_.revoke_after_next_check = true;  // revoked while the first attempt is on the wire
  carrier.SetReadyHandler([&] { Pump(carrier); });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return completed_ == 1; }));
  EXPECT_EQ(jobs_[0].calls, 1);
  EXPECT_EQ(jobs_[0].result.kind, SubmitResult::Kind::kWithheld) << jobs_[0].result.detail;
  EXPECT_EQ(jobs_[0].result.withheld, Reason::kRevokedKey);
  EXPECT_EQ(gate_.checks, 2);
  const SmppCarrierCounters c = carrier.counters();
  EXPECT_EQ(c.pdus_submitted, 1u) << "sent again under a revoked key";
  EXPECT_EQ(c.part_retries, 1u);
  EXPECT_EQ(sim.Counters()["submits"], 1);
  CloseAndCheck(carrier);
}

INSTANTIATE_TEST_SUITE_P(Retries, SmppCarrierGateResendTest,
                         ::testing::Values("throttled", "temporary"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace sd::smpp
