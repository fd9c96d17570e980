// Unit tests of the Dispatcher alone: the two ports are fakes (this is a unit test of one
// class); the decision core and the MAC are the real ones.
#include "daemon/lib/dispatcher.h"

#include <gtest/gtest.h>

#include <map>

#include "adapters/crypto/openssl_mac.h"
#include "core/envelope.h"
#include "tests/daemon/dispatcher_fakes.h"
#include "tests/daemon/dispatcher_routes_fixture.h"

namespace sd {
namespace {

using namespace testing_fakes;  // NOLINT(google-build-using-namespace): test-only fakes

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherTest() : clock_(kNow) {
    auto keys = std::make_shared<KeyRing>();
    EXPECT_TRUE(keys->Add(SigningKey{"k.v1", kSecret}));
    DispatcherOptions opts;
    opts.decision.stream = kStream;
    opts.max_inflight = 64;
    dispatcher_ = std::make_unique<Dispatcher>(store_, carrier_, mac_, clock_, opts);
    dispatcher_->SetKeys(keys);
    dispatcher_->Start();
  }

  StreamEntry Entry(const std::string& job_id, const std::string& secret = kSecret,
                    int64_t expires = kNow + 60'000) {
    return SignedEntry(mac_, ++seq_, job_id, "+4915112345678", secret, expires);
  }

  void Deliver(std::vector<StreamEntry> entries) { store_.handler(std::move(entries)); }

  OpenSslMac mac_;
  ManualClock clock_;
  FakeStore store_;
  FakeCarrier carrier_;
  std::unique_ptr<Dispatcher> dispatcher_;
  int seq_ = 0;
};

TEST_F(DispatcherTest, GrantsInitialCreditEqualToWindow) { EXPECT_EQ(store_.credit, 64u); }

TEST_F(DispatcherTest, ValidJobIsClaimedSubmittedAndCommittedOnce) {
  Deliver({Entry("a"), Entry("b")});
  EXPECT_EQ(store_.claim_reqs.size(), 2u);
  EXPECT_TRUE(carrier_.submits.empty()) << "must not submit before the claim is durable";
  store_.Flush();
  ASSERT_EQ(carrier_.submits.size(), 2u);
  EXPECT_EQ(carrier_.submits[0].destination, "+4915112345678");
  EXPECT_EQ(carrier_.submits[0].job_id, "a") << "HTTP carriers send it as the idempotency key";
  carrier_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 2u);
  for (const Outcome& o : store_.commits) {
    EXPECT_EQ(o.status, OutcomeStatus::kSubmitted);
    EXPECT_EQ(o.carrier, "sim");
    EXPECT_FALSE(o.message_id.empty());
    EXPECT_EQ(o.segments, 1);
  }
  EXPECT_EQ(store_.commits[0].job_id, "a");
  EXPECT_EQ(dispatcher_->inflight(), 0u);
  EXPECT_EQ(store_.credit, 64u + 2u);  // credit handed back when the dispatcher drained
}

TEST_F(DispatcherTest, BadSignatureIsRejectedAndNeverSubmitted) {
  Deliver({Entry("a", std::string(32, 'x'))});
  store_.Flush();
  EXPECT_TRUE(carrier_.submits.empty());
  EXPECT_TRUE(store_.claim_reqs.empty());
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].status, OutcomeStatus::kRejected);
  EXPECT_EQ(store_.commits[0].reason, Reason::kBadSignature);
}

TEST_F(DispatcherTest, ReplayIsRejectedAlreadyDoneOnlyAcked) {
  store_.claim_script["dup"] = ClaimState::kReplay;
  store_.claim_script["done"] = ClaimState::kAlreadyDone;
  Deliver({Entry("dup"), Entry("done")});
  store_.Flush();
  EXPECT_TRUE(carrier_.submits.empty());
  ASSERT_EQ(store_.commits.size(), 2u);
  EXPECT_EQ(store_.commits[0].reason, Reason::kReplay);
  EXPECT_EQ(store_.commits[1].entry_id, "1-2");
  EXPECT_EQ(dispatcher_->stats().already_done, 1u);
  EXPECT_EQ(dispatcher_->inflight(), 0u);
}

TEST_F(DispatcherTest, ResumedEntryIsSubmittedAgain) {
  store_.claim_script["r"] = ClaimState::kResume;
  Deliver({Entry("r")});
  store_.Flush();
  EXPECT_EQ(carrier_.submits.size(), 1u);
  EXPECT_EQ(dispatcher_->stats().resumed, 1u);
}

TEST_F(DispatcherTest, RespectsCarrierWindowAndResumesOnReady) {
  carrier_.window = 2;
  Deliver({Entry("a"), Entry("b"), Entry("c")});
  store_.Flush();
  EXPECT_EQ(carrier_.submits.size(), 2u);
  carrier_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  EXPECT_EQ(carrier_.submits.size(), 3u);
}

TEST_F(DispatcherTest, NotReadyCarrierHoldsJobsUntilReadyHandler) {
  carrier_.ready = false;
  Deliver({Entry("a")});
  store_.Flush();
  EXPECT_TRUE(carrier_.submits.empty());
  carrier_.ready = true;
  carrier_.ready_handler();
  EXPECT_EQ(carrier_.submits.size(), 1u);
}

TEST_F(DispatcherTest, TemporaryFailureRetriesAfterBackoff) {
  Deliver({Entry("a")});
  store_.Flush();
  carrier_.CompleteAll(SubmitResult::Kind::kTemporaryFailure, 0x58);
  EXPECT_EQ(carrier_.submits.size(), 1u);
  dispatcher_->Tick();
  EXPECT_EQ(carrier_.submits.size(), 1u) << "retried before its backoff elapsed";
  clock_.Advance(1000);
  dispatcher_->Tick();
  ASSERT_EQ(carrier_.submits.size(), 2u);
  carrier_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].status, OutcomeStatus::kSubmitted);
}

TEST_F(DispatcherTest, TemporaryFailuresUntilExpiryBecomeCarrierUnavailable) {
  Deliver({Entry("a", kSecret, kNow + 700)});
  store_.Flush();
  // Jittered backoff (core/backoff.h, retry_initial_ms 200): the first retry comes within
  // [200, 400] ms, the second no sooner than 400 ms after that, past the expiry.
  carrier_.CompleteAll(SubmitResult::Kind::kTemporaryFailure);
  clock_.Advance(400);
  dispatcher_->Tick();
  ASSERT_EQ(carrier_.submits.size(), 2u);
  carrier_.CompleteAll(SubmitResult::Kind::kTemporaryFailure);  // next at >= +800 > expiry
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].reason, Reason::kCarrierUnavailable);
}

TEST_F(DispatcherTest, PermanentFailureIsRejectedWithCarrierStatus) {
  Deliver({Entry("a")});
  store_.Flush();
  carrier_.CompleteAll(SubmitResult::Kind::kPermanentFailure, 0x0B);
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].reason, Reason::kCarrierRejected);
  EXPECT_NE(store_.commits[0].detail.find("11"), std::string::npos);
}

TEST_F(DispatcherTest, ExpiredWhileWaitingForWindowIsRejectedExpired) {
  carrier_.ready = false;
  Deliver({Entry("a", kSecret, kNow + 100)});
  store_.Flush();
  clock_.Advance(200);
  carrier_.ready = true;
  carrier_.ready_handler();
  store_.Flush();
  EXPECT_TRUE(carrier_.submits.empty());
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].reason, Reason::kExpired);
}

TEST_F(DispatcherTest, StopLeavesUnsubmittedPendingAndWaitsForInflight) {
  carrier_.window = 1;
  Deliver({Entry("a"), Entry("b"), Entry("c")});
  store_.Flush();
  ASSERT_EQ(carrier_.submits.size(), 1u);
  int stopped = 0;
  dispatcher_->Stop([&] { ++stopped; });
  EXPECT_FALSE(store_.reading);
  EXPECT_EQ(stopped, 0) << "one submit is still at the carrier";
  carrier_.CompleteAll(SubmitResult::Kind::kAccepted);
  EXPECT_EQ(stopped, 0) << "its outcome is not durable yet";
  store_.Flush();
  EXPECT_EQ(stopped, 1);
  EXPECT_EQ(carrier_.submits.size(), 1u) << "nothing new submitted while stopping";
  EXPECT_EQ(store_.commits.size(), 1u) << "b and c stay pending in Redis, no outcome";
}

TEST_F(DispatcherTest, ReceiptAckedOnlyAfterItIsDurable) {
  int acks = 0;
  Receipt r;
  r.carrier = "sim";
  r.message_id = "m1";
  r.state = ReceiptState::kDelivered;
  carrier_.receipt_handler(r, [&] { ++acks; });
  EXPECT_EQ(acks, 0);
  ASSERT_EQ(store_.receipts.size(), 1u);
  store_.Flush();
  EXPECT_EQ(acks, 1);
  EXPECT_EQ(dispatcher_->stats().receipts, 1u);
}

// A job the carrier's gate withheld never reached the wire: its place is free at once, or a
// revocation would leak the carrier's places until nothing more is sent.
TEST_F(DispatcherTest, AJobWithheldAtTheWireFreesItsPlaceAtOnce) {
  DispatcherOptions opts;
  opts.decision.stream = kStream;
  opts.max_inflight = 64;
  dispatcher_ = std::make_unique<Dispatcher>(
      store_, std::vector<DispatchCarrier>{{&carrier_, nullptr, 1}}, mac_, clock_, opts);
  auto keys = std::make_shared<KeyRing>();
  ASSERT_TRUE(keys->Add(SigningKey{"k.v1", kSecret}));
  dispatcher_->SetKeys(keys);
  dispatcher_->Start();
  Deliver({Entry("a"), Entry("b")});
  store_.Flush();
  ASSERT_EQ(carrier_.submits.size(), 1u);
  carrier_.CompleteFirstWithheld(Reason::kExpired, "expired before it could be submitted");
  EXPECT_EQ(carrier_.submits.size(), 2u) << "b takes a's place without waiting for a's outcome";
  carrier_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  EXPECT_EQ(store_.commits.size(), 2u);
  EXPECT_EQ(dispatcher_->inflight(), 0u);
}

// The kill -9 duplicate bound: a job the carrier accepted keeps its place until its outcome
// is durable, so no more than max_unsettled jobs are ever at the carrier without an outcome
// on Redis (those are what a restart sends again).
TEST_F(DispatcherTest, AcceptedJobsHoldTheirPlaceUntilTheOutcomeIsDurable) {
  DispatcherOptions opts;
  opts.decision.stream = kStream;
  opts.max_inflight = 64;
  dispatcher_ = std::make_unique<Dispatcher>(
      store_, std::vector<DispatchCarrier>{{&carrier_, nullptr, 2}}, mac_, clock_, opts);
  auto keys = std::make_shared<KeyRing>();
  ASSERT_TRUE(keys->Add(SigningKey{"k.v1", kSecret}));
  dispatcher_->SetKeys(keys);
  dispatcher_->Start();
  Deliver({Entry("a"), Entry("b"), Entry("c"), Entry("d"), Entry("e"), Entry("f")});
  store_.Flush();
  ASSERT_EQ(carrier_.submits.size(), 2u);
  carrier_.CompleteAll(SubmitResult::Kind::kAccepted);
  EXPECT_EQ(store_.commits.size(), 2u);
  EXPECT_EQ(carrier_.submits.size(), 2u) << "accepted, but the outcomes are not durable yet";
  store_.Flush();
  ASSERT_EQ(carrier_.submits.size(), 4u);
  // c is refused (it may have been partly sent): it holds its place until its outcome is
  // durable. d fails temporarily (the carrier took none of it): its place is free at once.
  auto answers = std::move(carrier_.outstanding);
  carrier_.outstanding.clear();
  ASSERT_EQ(answers.size(), 2u);
  SubmitResult refused;
  refused.kind = SubmitResult::Kind::kPermanentFailure;
  refused.carrier_status = 0x0B;
  answers[0](refused);
  EXPECT_EQ(carrier_.submits.size(), 4u);
  SubmitResult temporary;
  temporary.kind = SubmitResult::Kind::kTemporaryFailure;
  answers[1](temporary);
  EXPECT_EQ(carrier_.submits.size(), 5u) << "e takes d's place";
  store_.Flush();
  EXPECT_EQ(carrier_.submits.size(), 6u) << "f takes c's place once c's outcome is written";
  carrier_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  clock_.Advance(1'000);
  dispatcher_->Tick();  // d's retry
  carrier_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  EXPECT_EQ(store_.commits.size(), 6u);
  EXPECT_EQ(dispatcher_->inflight(), 0u);
}

// A test key's job goes to the test carrier only: without one it is refused no_route and
// never submitted, and the gate every live carrier asks refuses a test key at the wire.
TEST_F(DispatcherTest, ATestKeysJobNeverGoesToALiveCarrier) {
  KeyRecord test_key;
  test_key.id = "test-k.v1";
  test_key.secret = kSecret;
  test_key.test_mode = true;
  KeyRecord live_key = test_key;
  live_key.id = "k.v1";
  live_key.test_mode = false;
  auto registry = KeyRegistrySnapshot::Build(1, {test_key, live_key});
  ASSERT_TRUE(registry.ok()) << registry.error().detail;
  dispatcher_->policy().Update([&](const PolicySnapshot& cur) {
    PolicyParts p = cur.parts();
    p.registry_keys = registry.value();
    return p;
  });
  ASSERT_NE(carrier_.gate, nullptr);
  const GateVerdict refused = carrier_.gate->Check(
      {"test-k.v1", "+4915112345678", "ACME", JobKind::kTransactional, kNow + 60'000});
  EXPECT_EQ(refused.reason, Reason::kNoRoute);
  EXPECT_TRUE(
      carrier_.gate
          ->Check({"k.v1", "+4915112345678", "ACME", JobKind::kTransactional, kNow + 60'000})
          .send());
  StreamEntry e = Entry("t1");
  e.key_id = "test-k.v1";
  e.sig = SignJob(mac_, kSecret, e.key_id, kStream, e.job);
  Deliver({e});
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].reason, Reason::kNoRoute);
  EXPECT_TRUE(carrier_.submits.empty());
}

TEST_F(DispatcherTest, ReceiptCarriesTheTimeTheDaemonReceivedIt) {
  clock_.Set(kNow + 1234);
  Receipt r;
  r.carrier = "sim";
  r.message_id = "m1";
  r.state = ReceiptState::kDelivered;
  carrier_.receipt_handler(r, [] {});
  ASSERT_EQ(store_.receipts.size(), 1u);
  EXPECT_EQ(store_.receipts[0].ts_ms, kNow + 1234);
}

// ---- Policy: rate-limit deferral and the security audit --------------------------------

class FakeAudit final : public AuditSink {
 public:
  void Emit(AuditEvent e) override { events.push_back(std::move(e)); }
  std::vector<AuditEvent> events;
};

class DispatcherPolicyTest : public DispatcherTest {
 protected:
  DispatcherPolicyTest() {
    dispatcher_->SetAuditSink(&audit_);
    dispatcher_->SetDeferQueue(&defer_);
  }
  void SetLimit(LimitAction action, int64_t per_second) {
    LimitConfig l;
    l.name = "per_key";
    l.scope = LimitScope::kKey;
    l.rate = RateSpec{per_second, 1000, per_second};
    l.action = action;
    l.capacity = 64;
    RateLimitsConfig rc;
    rc.limits = {l};
    rc.hash_key = SipKey{3, 4};
    auto built = RateLimits::Build(rc);
    ASSERT_TRUE(built.ok());
    dispatcher_->policy().Update([&](const PolicySnapshot& cur) {
      PolicyParts p = cur.parts();
      p.limits = built.value();
      return p;
    });
  }
  FakeAudit audit_;
  FakeDeferQueue defer_;
};

TEST_F(DispatcherPolicyTest, DeferredJobIsNeitherClaimedNorGivenAnOutcome) {
  SetLimit(LimitAction::kDefer, 1);
  Deliver({Entry("a"), Entry("b")});
  ASSERT_EQ(defer_.deferred.size(), 1u);
  EXPECT_EQ(defer_.deferred[0].job_id, "b");
  EXPECT_EQ(defer_.deferred[0].entry.entry_id, "1-2");
  EXPECT_FALSE(defer_.deferred[0].entry.job.empty());  // the entry as signed, to be re-added
  EXPECT_GT(defer_.deferred[0].due_ms, kNow);
  ASSERT_EQ(store_.claim_reqs.size(), 1u);  // only "a" is claimed
  EXPECT_EQ(store_.claim_reqs[0].job_id, "a");
  EXPECT_EQ(dispatcher_->inflight(), 2u);
  defer_.Flush();  // durable in the delay queue: the entry has left the dispatcher
  EXPECT_EQ(dispatcher_->inflight(), 1u);
  store_.Flush();
  carrier_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 1u);  // exactly one outcome, for "a"; none for "b"
  EXPECT_EQ(store_.commits[0].job_id, "a");
  EXPECT_EQ(dispatcher_->stats().deferred, 1u);
  ASSERT_EQ(audit_.events.size(), 1u);
  EXPECT_EQ(audit_.events[0].action, "deferred");
  EXPECT_EQ(audit_.events[0].reason, Reason::kRateLimited);
  EXPECT_EQ(audit_.events[0].destination, "+4915*******78");
  EXPECT_EQ(dispatcher_->inflight(), 0u);
}

// A job scheduled ahead (send_at) waits in the delay queue like a deferral, counted as
// scheduled and not audited; without a delay queue it is refused unavailable, never sent early.
TEST_F(DispatcherPolicyTest, AScheduledJobWaitsInTheDelayQueueUnaudited) {
  Deliver({SignedEntry(mac_, ++seq_, "later", "+4915112345678", kSecret, kNow + 60'000,
                       kNow + 20'000)});
  ASSERT_EQ(defer_.deferred.size(), 1u);
  EXPECT_EQ(defer_.deferred[0].due_ms, kNow + 20'000);
  EXPECT_TRUE(store_.claim_reqs.empty());
  EXPECT_EQ(dispatcher_->stats().scheduled, 1u);
  EXPECT_EQ(dispatcher_->stats().deferred, 0u);
  EXPECT_TRUE(audit_.events.empty());
  defer_.Flush();
  dispatcher_->SetDeferQueue(nullptr);
  Deliver({SignedEntry(mac_, ++seq_, "later2", "+4915112345678", kSecret, kNow + 60'000,
                       kNow + 20'000)});
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].reason, Reason::kUnavailable);
  EXPECT_TRUE(carrier_.submits.empty());
}

TEST_F(DispatcherPolicyTest, WithoutADeferQueueADeferralIsRejected) {
  dispatcher_->SetDeferQueue(nullptr);
  SetLimit(LimitAction::kDefer, 1);
  Deliver({Entry("a"), Entry("b")});
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].job_id, "b");
  EXPECT_EQ(store_.commits[0].reason, Reason::kRateLimited);
  EXPECT_EQ(dispatcher_->stats().defer_unavailable, 1u);
}

TEST_F(DispatcherPolicyTest, SecurityRejectionsAreAuditedValidationIsNot) {
  SetLimit(LimitAction::kReject, 1);
  StreamEntry unknown = Entry("u");
  unknown.key_id = "nobody.v1";
  Deliver({Entry("a", std::string(32, 'x')), unknown, Entry("ok"), Entry("limited"),
           Entry("late", kSecret, kNow - 1)});
  store_.Flush();
  ASSERT_EQ(audit_.events.size(), 3u);
  EXPECT_EQ(audit_.events[0].reason, Reason::kBadSignature);
  EXPECT_EQ(audit_.events[0].job_id, "");  // not decoded: nothing unauthenticated is trusted
  EXPECT_EQ(audit_.events[1].reason, Reason::kUnknownKey);
  EXPECT_EQ(audit_.events[1].key_id, "nobody.v1");
  EXPECT_EQ(audit_.events[2].reason, Reason::kRateLimited);
  EXPECT_EQ(audit_.events[2].action, "rejected");
  EXPECT_EQ(audit_.events[2].job_id, "limited");
  EXPECT_EQ(audit_.events[2].detail.find("123456"), std::string::npos);  // never the text
  EXPECT_EQ(dispatcher_->stats().audit_events, 3u);
  const auto& by = dispatcher_->stats().rejected_by_reason;
  EXPECT_EQ(by[static_cast<size_t>(Reason::kRateLimited)], 1u);
  EXPECT_EQ(by[static_cast<size_t>(Reason::kMalformed)], 1u);  // expires before created
}

TEST_F(DispatcherPolicyTest, ABatchIsDecidedUnderTheSnapshotItStartedWith) {
  // A policy swap takes effect for the next batch; keys swapped via SetKeys keep the limits.
  SetLimit(LimitAction::kReject, 1000);
  auto keys = std::make_shared<KeyRing>();
  EXPECT_TRUE(keys->Add(SigningKey{"k.v1", std::string(32, 'n')}));
  dispatcher_->SetKeys(keys);
  EXPECT_NE(dispatcher_->policy().Load()->parts().limits, nullptr);
  Deliver({Entry("old-secret")});
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].reason, Reason::kBadSignature);
}

// ---- Routes, failover and the revocation check at submit ------------------------------

TEST_F(DispatcherRoutesTest, JobsGoToTheirRoutedCarrierAndUnroutedOnesAreNoRoute) {
  Deliver(
      {Entry("p", "+4915112345678"), Entry("b", "+4917112345678"), Entry("none", "+4930123456")});
  ASSERT_EQ(primary_.submits.size(), 1u);
  EXPECT_EQ(primary_.submits[0].destination, "+4915112345678");
  ASSERT_EQ(backup_.submits.size(), 1u);
  EXPECT_EQ(backup_.submits[0].destination, "+4917112345678");
  primary_.CompleteAll(SubmitResult::Kind::kAccepted);
  backup_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 3u);
  std::map<std::string, Outcome> by_job;
  for (const Outcome& o : store_.commits) by_job[o.job_id] = o;
  EXPECT_EQ(by_job["none"].reason, Reason::kNoRoute);
  EXPECT_EQ(by_job["p"].carrier, "primary");
  EXPECT_EQ(by_job["b"].carrier, "backup");
  EXPECT_EQ(dispatcher_->stats().rejected_by_reason[static_cast<size_t>(Reason::kNoRoute)], 1u);
  EXPECT_TRUE(audit_.events.empty());  // not a security decision
}

TEST_F(DispatcherRoutesTest, ATemporaryFailureGoesOnToTheNextCarrierAtOnce) {
  Deliver({Entry("a", "+4915112345678")});
  ASSERT_EQ(primary_.submits.size(), 1u);
  primary_.CompleteAll(SubmitResult::Kind::kTemporaryFailure);
  ASSERT_EQ(backup_.submits.size(), 1u);  // no backoff wait first
  backup_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].status, OutcomeStatus::kSubmitted);
  EXPECT_EQ(store_.commits[0].carrier, "backup");
  EXPECT_EQ(dispatcher_->stats().failovers, 1u);
  EXPECT_EQ(dispatcher_->inflight(), 0u);
}

TEST_F(DispatcherRoutesTest, WhenEveryCarrierFailsTheJobBacksOffAndStartsOverAtThePrimary) {
  Deliver({Entry("a", "+4915112345678")});
  primary_.CompleteAll(SubmitResult::Kind::kTemporaryFailure);
  backup_.CompleteAll(SubmitResult::Kind::kTemporaryFailure);
  dispatcher_->Tick();
  EXPECT_EQ(primary_.submits.size(), 1u);  // backing off
  clock_.Advance(199);  // the first round waits at least retry_initial_ms (200)
  dispatcher_->Tick();
  EXPECT_EQ(primary_.submits.size(), 1u);
  clock_.Advance(201);  // and at most twice that (jittered: core/backoff.h)
  dispatcher_->Tick();
  ASSERT_EQ(primary_.submits.size(), 2u);
  primary_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].carrier, "primary");
}

TEST_F(DispatcherRoutesTest, APermanentFailureIsNotFailedOver) {
  Deliver({Entry("a", "+4915112345678")});
  primary_.CompleteAll(SubmitResult::Kind::kPermanentFailure, 0x0b);
  store_.Flush();
  EXPECT_TRUE(backup_.submits.empty());
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].reason, Reason::kCarrierRejected);
}

TEST_F(DispatcherRoutesTest, ACarrierThatIsDownIsSkippedAndItsQueuedJobsMoveOn) {
  primary_up_ = false;
  primary_.ready = false;
  Deliver({Entry("a", "+4915112345678")});
  EXPECT_TRUE(primary_.submits.empty());
  ASSERT_EQ(backup_.submits.size(), 1u);  // straight to the backup
  // Jobs already waiting for the primary's window move when it goes down.
  primary_up_ = true;
  Deliver({Entry("b", "+4915112345679")});
  EXPECT_EQ(backup_.submits.size(), 1u);  // primary is up, only busy: b waits for it
  primary_up_ = false;
  dispatcher_->Tick();
  ASSERT_EQ(backup_.submits.size(), 2u);
  EXPECT_EQ(backup_.submits[1].destination, "+4915112345679");
  // A route whose only carrier is down keeps its job waiting, it is not lost or rejected.
  backup_up_ = false;
  backup_.ready = false;
  Deliver({Entry("c", "+4917112345678")});
  dispatcher_->Tick();
  EXPECT_EQ(backup_.submits.size(), 2u);
  backup_up_ = true;
  backup_.ready = true;
  backup_.ready_handler();
  ASSERT_EQ(backup_.submits.size(), 3u);
  backup_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 3u);
  for (const Outcome& o : store_.commits) EXPECT_EQ(o.carrier, "backup") << o.job_id;
  EXPECT_EQ(dispatcher_->inflight(), 0u);
}

// Failed over to the backup, which then goes down before sending, while the primary has
// recovered: the job goes back to the primary instead of waiting for the backup.
TEST_F(DispatcherRoutesTest, AJobWaitingOnADownCarrierReturnsToARecoveredOneItTriedBefore) {
  backup_.ready = false;  // the backup is bound but busy: the job will wait in its queue
  Deliver({Entry("a", "+4915112345678")});
  primary_.CompleteAll(SubmitResult::Kind::kTemporaryFailure);
  EXPECT_TRUE(backup_.submits.empty());
  backup_up_ = false;  // the backup's binds drop; the primary is up again
  dispatcher_->Tick();
  ASSERT_EQ(primary_.submits.size(), 2u);
  primary_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].carrier, "primary");
  EXPECT_EQ(dispatcher_->inflight(), 0u);
}

// A job whose every carrier stays down gets its outcome when it expires, and hands back its
// share of max_inflight, instead of waiting for ever.
TEST_F(DispatcherRoutesTest, AJobWhoseCarriersAreAllDownExpiresWithAnOutcome) {
  backup_up_ = false;
  backup_.ready = false;
  Deliver({Entry("c", "+4917112345678")});
  dispatcher_->Tick();
  EXPECT_TRUE(store_.commits.empty());
  clock_.Advance(61'000);  // past the job's expiry
  dispatcher_->Tick();
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].reason, Reason::kExpired);
  EXPECT_EQ(dispatcher_->inflight(), 0u);
  EXPECT_TRUE(backup_.submits.empty());
}

TEST_F(DispatcherRoutesTest, AKeyRevokedAfterAdmissionSendsNothing) {
  primary_.ready = false;  // admitted and claimed, waiting for the window
  Deliver({Entry("a", "+4915112345678"), Entry("b", "+4915112345679")});
  EXPECT_TRUE(primary_.submits.empty());
  SetRegistry(true);
  primary_.ready = true;
  primary_.ready_handler();
  store_.Flush();
  EXPECT_TRUE(primary_.submits.empty());
  EXPECT_TRUE(backup_.submits.empty());
  ASSERT_EQ(store_.commits.size(), 2u);
  for (const Outcome& o : store_.commits) {
    EXPECT_EQ(o.reason, Reason::kRevokedKey);
    EXPECT_EQ(o.status, OutcomeStatus::kRejected);
  }
  ASSERT_EQ(audit_.events.size(), 2u);
  EXPECT_EQ(audit_.events[0].reason, Reason::kRevokedKey);
  EXPECT_EQ(audit_.events[0].action, "rejected");
  EXPECT_EQ(audit_.events[0].job_id, "a");
  EXPECT_EQ(audit_.events[0].destination, "+4915*******78");
  EXPECT_EQ(dispatcher_->stats().revoked_before_submit, 2u);
  EXPECT_EQ(dispatcher_->inflight(), 0u);
}

TEST_F(DispatcherRoutesTest, AJobInTheRetryQueueIsCheckedAgainToo) {
  Deliver({Entry("a", "+4917112345678")});
  backup_.CompleteAll(SubmitResult::Kind::kTemporaryFailure);
  SetRegistry(true);
  clock_.Advance(400);  // past the first round's backoff (at most 2 x retry_initial_ms)
  dispatcher_->Tick();
  store_.Flush();
  EXPECT_EQ(backup_.submits.size(), 1u);  // only the first attempt
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].reason, Reason::kRevokedKey);
}

// Failing over is a new submit: the key is checked again before the next carrier gets it.
TEST_F(DispatcherRoutesTest, AJobFailedOverIsCheckedAgainFirst) {
  Deliver({Entry("a", "+4915112345678")});
  ASSERT_EQ(primary_.submits.size(), 1u);
  SetRegistry(true);
  primary_.CompleteAll(SubmitResult::Kind::kTemporaryFailure);
  store_.Flush();
  EXPECT_TRUE(backup_.submits.empty());
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].reason, Reason::kRevokedKey);
  EXPECT_EQ(dispatcher_->inflight(), 0u);
}

// The dispatcher is every carrier's SubmitGate: it judges a job's key against the snapshot
// current at the call and its expiry against the clock of the call.
TEST_F(DispatcherRoutesTest, TheDispatcherIsEveryCarriersGateOnTheCurrentPolicyAndClock) {
  ASSERT_NE(primary_.gate, nullptr);
  EXPECT_EQ(backup_.gate, primary_.gate);
  SubmitGate& gate = *primary_.gate;
  EXPECT_TRUE(
      gate.Check({"k.v1", "+4915112345678", "ACME", JobKind::kTransactional, kNow + 1}).send());
  const GateVerdict unknown =
      gate.Check({"gone.v1", "+4915112345678", "ACME", JobKind::kTransactional, kNow + 1});
  EXPECT_EQ(unknown.reason, Reason::kRevokedKey);
  EXPECT_STREQ(unknown.detail, "key removed after the job was admitted");
  EXPECT_EQ(gate.Check({"k.v1", "+4915112345678", "ACME", JobKind::kTransactional, kNow}).reason,
            Reason::kExpired);
  SetRegistry(true);
  const GateVerdict revoked =
      gate.Check({"k.v1", "+4915112345678", "ACME", JobKind::kTransactional, kNow + 1});
  EXPECT_EQ(revoked.reason, Reason::kRevokedKey);
  EXPECT_STREQ(revoked.detail, "key revoked after the job was admitted");
  clock_.Advance(2);
  EXPECT_EQ(
      gate.Check({"k.v1", "+4915112345678", "ACME", JobKind::kTransactional, kNow + 1}).reason,
      Reason::kExpired);
}

// A job the carrier's gate refused gets the gate's outcome (a withdrawn key audited like one
// refused before the submit), and is never failed over to another carrier.
TEST_F(DispatcherRoutesTest, AJobWithheldAtTheCarrierIsRejectedWithTheGatesReason) {
  Deliver({Entry("a", "+4915112345678"), Entry("b", "+4915112345679")});
  ASSERT_EQ(primary_.submits.size(), 2u);
  primary_.CompleteFirstWithheld(Reason::kRevokedKey, "key revoked after the job was admitted");
  primary_.CompleteFirstWithheld(Reason::kExpired, "expired before it could be submitted");
  store_.Flush();
  EXPECT_TRUE(backup_.submits.empty());
  EXPECT_EQ(primary_.submits.size(), 2u);
  ASSERT_EQ(store_.commits.size(), 2u);
  EXPECT_EQ(store_.commits[0].job_id, "a");
  EXPECT_EQ(store_.commits[0].status, OutcomeStatus::kRejected);
  EXPECT_EQ(store_.commits[0].reason, Reason::kRevokedKey);
  EXPECT_EQ(store_.commits[0].detail, "key revoked after the job was admitted");
  EXPECT_EQ(store_.commits[1].reason, Reason::kExpired);
  ASSERT_EQ(audit_.events.size(), 1u);  // an expiry is not a security decision
  EXPECT_EQ(audit_.events[0].reason, Reason::kRevokedKey);
  EXPECT_EQ(audit_.events[0].job_id, "a");
  EXPECT_EQ(dispatcher_->stats().revoked_before_submit, 1u);
  EXPECT_EQ(dispatcher_->stats().withheld_at_carrier, 2u);
  EXPECT_EQ(dispatcher_->stats().submitted, 0u);
  EXPECT_EQ(dispatcher_->inflight(), 0u);
}

TEST_F(DispatcherRoutesTest, ReceiptsOfEveryCarrierReachTheStoreUnderItsName) {
  Receipt r;
  r.message_id = "m1";
  r.carrier = "backup";  // the SMPP carrier names its receipts
  int acks = 0;
  backup_.receipt_handler(r, [&] { ++acks; });
  r.carrier = "primary";
  primary_.receipt_handler(r, [&] { ++acks; });
  store_.Flush();
  ASSERT_EQ(store_.receipts.size(), 2u);
  EXPECT_EQ(store_.receipts[0].carrier, "backup");
  EXPECT_EQ(store_.receipts[1].carrier, "primary");
  EXPECT_EQ(acks, 2);
}

TEST_F(DispatcherRoutesTest, StopWaitsForJobsAtEveryCarrier) {
  Deliver({Entry("a", "+4915112345678"), Entry("b", "+4917112345678")});
  bool stopped = false;
  dispatcher_->Stop([&] { stopped = true; });
  EXPECT_FALSE(stopped);
  primary_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  EXPECT_FALSE(stopped);  // backup still has one
  backup_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  EXPECT_TRUE(stopped);
  EXPECT_EQ(store_.commits.size(), 2u);
}

}  // namespace
}  // namespace sd
