// The dispatcher's part of the fleet-wide limits (daemon/lib/dispatcher_leases.cc), with fake
// ports and the lease answers given by hand: an entry waits in memory (not claimed, not
// rejected, still in flight) until its lease is answered, then is decided again; a denial
// applies the limit's action; without a lease agent the entry is rejected, never kept.
#include <gtest/gtest.h>

#include "adapters/crypto/openssl_mac.h"
#include "daemon/lib/dispatcher.h"
#include "tests/daemon/dispatcher_fakes.h"

namespace sd {
namespace {

using namespace testing_fakes;  // NOLINT(google-build-using-namespace): test-only fakes

class DispatcherLeasesTest : public ::testing::Test {
 protected:
  DispatcherLeasesTest() : clock_(kNow) {
    auto keys = std::make_shared<KeyRing>();
    EXPECT_TRUE(keys->Add(SigningKey{"k.v1", kSecret}));
    DispatcherOptions opts;
    opts.decision.stream = kStream;
    opts.max_inflight = 64;
    dispatcher_ = std::make_unique<Dispatcher>(store_, carrier_, mac_, clock_, opts);
    dispatcher_->SetKeys(keys);
    LimitConfig l;
    l.name = "fleet";
    l.scope = LimitScope::kKey;
    l.rate = RateSpec{100, 1000, 100};
    l.capacity = 64;
    l.reach = LimitReach::kGlobal;
    l.lease_units = 2;
    RateLimitsConfig rc;
    rc.limits = {l};
    rc.hash_key = SipKey{5, 6};
    limits_ = RateLimits::Build(rc).value();
    dispatcher_->policy().Update([&](const PolicySnapshot& cur) {
      PolicyParts p = cur.parts();
      p.limits = limits_;
      return p;
    });
    dispatcher_->Start();
  }

  StreamEntry Entry() {
    ++seq_;
    return SignedEntry(mac_, seq_, "j" + std::to_string(seq_), "+4915112345678", kSecret,
                       kNow + 60'000);
  }
  // What the lease agent would do: answer every wanted lease, then tell the dispatcher.
  void Answer(int64_t units, int64_t retry_after_ms = 0) {
    for (const GlobalLimit& g : limits_->Globals()) {
      for (const auto& w : g.state->leases->TakeWants()) {
        g.state->leases->Granted(w.value, units, retry_after_ms, clock_.NowMs());
      }
    }
    dispatcher_->LeasesAnswered();
  }
  size_t Refused(Reason reason) const {
    size_t n = 0;
    for (const Outcome& o : store_.commits) n += o.reason == reason ? 1 : 0;
    return n;
  }

  OpenSslMac mac_;
  ManualClock clock_;
  FakeStore store_;
  FakeCarrier carrier_;
  std::shared_ptr<const RateLimits> limits_;
  std::unique_ptr<Dispatcher> dispatcher_;
  int seq_ = 0;
};

TEST_F(DispatcherLeasesTest, EntriesWaitForTheLeaseThenGoOut) {
  int kicks = 0;
  dispatcher_->SetLeaseKick([&] { ++kicks; });
  store_.handler({Entry(), Entry(), Entry()});
  store_.Flush();
  EXPECT_EQ(kicks, 1);
  EXPECT_EQ(dispatcher_->awaiting_lease(), 3u);
  EXPECT_EQ(dispatcher_->inflight(), 3u);  // still ours: pending in Redis, nothing claimed
  EXPECT_TRUE(store_.claim_reqs.empty());
  EXPECT_TRUE(store_.commits.empty());
  Answer(2);  // two tokens: two jobs go, the third waits for the next lease
  store_.Flush();
  EXPECT_EQ(carrier_.submits.size(), 2u);
  EXPECT_EQ(dispatcher_->awaiting_lease(), 1u);
  EXPECT_GE(kicks, 2);  // the next lease was asked for
  Answer(2);
  store_.Flush();
  carrier_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  EXPECT_EQ(carrier_.submits.size(), 3u);
  EXPECT_EQ(dispatcher_->awaiting_lease(), 0u);
  EXPECT_EQ(dispatcher_->stats().entries, 3u);  // each entry counted once, however long it waited
  EXPECT_GE(dispatcher_->stats().lease_waits, 4u);
  EXPECT_EQ(dispatcher_->inflight(), 0u);
}

TEST_F(DispatcherLeasesTest, ADeniedLeaseRejectsWithTheLimitNamed) {
  dispatcher_->SetLeaseKick([] {});
  store_.handler({Entry(), Entry()});
  store_.Flush();
  Answer(0, 500);  // the fleet's bucket is empty
  store_.Flush();
  EXPECT_EQ(Refused(Reason::kRateLimited), 2u);
  ASSERT_FALSE(store_.commits.empty());
  EXPECT_NE(store_.commits[0].detail.find("'fleet'"), std::string::npos)
      << store_.commits[0].detail;
  EXPECT_TRUE(carrier_.submits.empty());
  EXPECT_EQ(dispatcher_->inflight(), 0u);
}

TEST_F(DispatcherLeasesTest, WithoutALeaseAgentAnEntryIsRejectedNotKept) {
  store_.handler({Entry()});
  store_.Flush();
  EXPECT_EQ(Refused(Reason::kUnavailable), 1u);
  EXPECT_EQ(dispatcher_->awaiting_lease(), 0u);
  EXPECT_EQ(dispatcher_->inflight(), 0u);
}

TEST_F(DispatcherLeasesTest, StopLeavesWaitingEntriesPendingInRedis) {
  dispatcher_->SetLeaseKick([] {});
  store_.handler({Entry(), Entry()});
  store_.Flush();
  bool stopped = false;
  dispatcher_->Stop([&] { stopped = true; });
  EXPECT_TRUE(stopped);
  EXPECT_TRUE(store_.commits.empty());  // no outcome: redelivered after the restart
  EXPECT_EQ(dispatcher_->awaiting_lease(), 0u);
}

}  // namespace
}  // namespace sd
