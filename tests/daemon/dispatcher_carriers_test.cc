// The Dispatcher's carriers at run time: modes an operator sets (pause, drain, resume) and
// what a reload does (a carrier added, one replaced once idle, one removed). Fake carriers
// and store (dispatcher_fakes.h); the decision core is the real one.
#include <gtest/gtest.h>

#include "tests/daemon/dispatcher_routes_fixture.h"

namespace sd::testing_fakes {
namespace {

constexpr size_t kPrimary = 0, kBackup = 1;

TEST_F(DispatcherRoutesTest, APausedCarrierTakesNoNewJobsAndItsRoutesFailOver) {
  dispatcher_->SetCarrierMode(kPrimary, CarrierMode::kPaused);
  EXPECT_FALSE(dispatcher_->Routable(kPrimary));
  Deliver({Entry("a", "+4915112345678")});
  EXPECT_TRUE(primary_.submits.empty());
  ASSERT_EQ(backup_.submits.size(), 1u) << "the route's next carrier took it";
  backup_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].carrier, "backup");
  dispatcher_->SetCarrierMode(kPrimary, CarrierMode::kActive);
  Deliver({Entry("b", "+4915112345679")});
  ASSERT_EQ(primary_.submits.size(), 1u) << "resumed: back to the first carrier";
}

TEST_F(DispatcherRoutesTest, JobsWaitingForACarrierThatIsPausedMoveOnOrWaitForItsResume) {
  primary_.ready = false;  // busy: jobs queue for it
  Deliver({Entry("a", "+4915112345678")});
  EXPECT_EQ(dispatcher_->queued(kPrimary), 1u);
  dispatcher_->SetCarrierMode(kPrimary, CarrierMode::kPaused);
  EXPECT_EQ(dispatcher_->queued(kPrimary), 0u);
  ASSERT_EQ(backup_.submits.size(), 1u) << "moved at once, not at the next tick";
  // The backup's own route has no other carrier: its job waits, nothing is sent or lost.
  dispatcher_->SetCarrierMode(kBackup, CarrierMode::kPaused);
  Deliver({Entry("b", "+4917112345678")});
  dispatcher_->Tick();
  EXPECT_EQ(backup_.submits.size(), 1u);
  EXPECT_EQ(dispatcher_->queued(kBackup), 1u);
  dispatcher_->SetCarrierMode(kBackup, CarrierMode::kActive);
  ASSERT_EQ(backup_.submits.size(), 2u) << "sent on resume";
  EXPECT_EQ(backup_.submits[1].destination, "+4917112345678");
}

TEST_F(DispatcherRoutesTest, ADrainingCarrierSendsWhatWaitsForItButTakesNothingNew) {
  primary_.window = 1;
  Deliver({Entry("a", "+4915112345678"), Entry("b", "+4915112345679")});
  ASSERT_EQ(primary_.submits.size(), 1u);
  EXPECT_EQ(dispatcher_->queued(kPrimary), 1u);
  dispatcher_->SetCarrierMode(kPrimary, CarrierMode::kDraining);
  dispatcher_->Tick();
  EXPECT_EQ(dispatcher_->queued(kPrimary), 1u) << "kept: it finishes what it holds";
  EXPECT_EQ(dispatcher_->at_carrier(kPrimary), 1u);
  Deliver({Entry("c", "+4915112345670")});
  ASSERT_EQ(backup_.submits.size(), 1u) << "a new job goes to the backup";
  primary_.CompleteAll(SubmitResult::Kind::kAccepted);
  ASSERT_EQ(primary_.submits.size(), 2u) << "the waiting job went to the draining carrier";
  primary_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  EXPECT_EQ(dispatcher_->at_carrier(kPrimary), 0u);
  EXPECT_EQ(dispatcher_->queued(kPrimary), 0u);
}

TEST_F(DispatcherRoutesTest, AReopenedCarrierGetsItsWaitingJobsOnceItsNewCarrierIsIn) {
  primary_.ready = false;
  Deliver({Entry("a", "+4917112345678")});  // to the backup only
  backup_.ready = false;
  Deliver({Entry("b", "+4917112345679")});
  ASSERT_EQ(backup_.submits.size(), 1u);
  dispatcher_->SetCarrierMode(kBackup, CarrierMode::kReopening);
  EXPECT_EQ(dispatcher_->at_carrier(kBackup), 1u);
  backup_.CompleteAll(SubmitResult::Kind::kAccepted);
  EXPECT_EQ(dispatcher_->at_carrier(kBackup), 0u) << "idle: the daemon may close it now";
  FakeCarrier replacement;
  replacement.name_ = "backup";
  dispatcher_->ReplaceCarrier(kBackup, DispatchCarrier{&replacement, nullptr});
  EXPECT_TRUE(replacement.submits.empty()) << "still reopening";
  dispatcher_->SetCarrierMode(kBackup, CarrierMode::kActive);
  ASSERT_EQ(replacement.submits.size(), 1u);
  replacement.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 2u);
  for (const Outcome& o : store_.commits) EXPECT_EQ(o.carrier, "backup");
  ASSERT_NE(replacement.receipt_handler, nullptr) << "the new carrier is wired";
}

TEST_F(DispatcherRoutesTest, AJobWaitingForARemovedCarrierWithNoOtherGetsAnOutcome) {
  backup_.ready = false;
  Deliver({Entry("a", "+4917112345678")});
  dispatcher_->SetCarrierMode(kBackup, CarrierMode::kRemoved);
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].reason, Reason::kCarrierUnavailable);
  EXPECT_EQ(dispatcher_->inflight(), 0u);
}

TEST_F(DispatcherRoutesTest, ACarrierAddedAfterStartIsWiredAndRoutable) {
  FakeCarrier third;
  third.name_ = "third";
  const size_t index = dispatcher_->AddCarrier(DispatchCarrier{&third, nullptr});
  EXPECT_EQ(index, 2u);
  EXPECT_EQ(dispatcher_->carrier_count(), 3u);
  EXPECT_NE(third.gate, nullptr);
  ASSERT_NE(third.receipt_handler, nullptr);
  RouteSpec to_third;
  to_third.prefixes = {"+4930"};
  to_third.carriers = {"third"};
  RouteError err;
  auto router = Router::Build({"primary", "backup", "third"}, {to_third}, &err);
  ASSERT_NE(router, nullptr) << err.message;
  dispatcher_->policy().Update([&](const PolicySnapshot& cur) {
    PolicyParts p = cur.parts();
    p.router = router;
    return p;
  });
  Deliver({Entry("a", "+4930123456")});
  ASSERT_EQ(third.submits.size(), 1u);
  third.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].carrier, "third");
}

}  // namespace
}  // namespace sd::testing_fakes
