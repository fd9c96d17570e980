// Quiet hours at the submit gate (Dispatcher::Sendable): a job admitted in the evening and
// still queued behind its carrier when the recipient's night begins is not sent. It waits in
// the delay queue until the morning (the entry as read, its job id's claim released), or is
// refused quiet_hours when it would expire first; both audited. Fakes for the ports only.
#include <gtest/gtest.h>

#include "daemon/lib/dispatcher.h"
#include "tests/daemon/dispatcher_fakes.h"
#include "tests/daemon/dispatcher_routes_fixture.h"

namespace sd {
namespace {

using namespace testing_fakes;  // NOLINT(google-build-using-namespace): test-only fakes

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kHourMs = 3'600'000;
// kNow is 22:13:20 UTC; the recipient's clock here is UTC.
constexpr int64_t kMidnight = kNow - kNow % 86'400'000;
constexpr int64_t kMorning = kMidnight + 30 * kHourMs;  // 06:00 the next day

class OneUtcZone final : public LocalTimes {
 public:
  ZoneSet Place(const NumberPlace&) const override { return 3; }
  void OffsetsAt(ZoneSet set, int64_t, std::vector<int>* out) const override {
    out->clear();
    if (set == 3) out->push_back(0);
  }
};

class DispatcherQuietTest : public DispatcherRoutesTest {
 protected:
  DispatcherQuietTest() {
    dispatcher_->SetDeferQueue(&defer_);
    // Quiet 22:30-06:00 for OTPs (the fixture's jobs), on the recipient's (UTC) clock.
    QuietRule night{static_cast<uint8_t>(1u << static_cast<int>(JobKind::kOtp)), 22 * 60 + 30,
                    6 * 60, "22:30-06:00"};
    dispatcher_->policy().Update([&](const PolicySnapshot& cur) {
      PolicyParts p = cur.parts();
      p.local_times = std::make_shared<OneUtcZone>();
      p.quiet = std::make_shared<const QuietHours>(std::vector<QuietRule>{night}, p.local_times);
      return p;
    });
  }
  StreamEntry Expiring(const std::string& job_id, int64_t expires) {
    return SignedEntry(mac_, ++seq_, job_id, "+4915112345678", kSecret, expires);
  }
  FakeDeferQueue defer_;
};

TEST_F(DispatcherQuietTest, AJobStillQueuedWhenTheNightBeginsWaitsForTheMorning) {
  primary_.ready = false;  // admitted at 22:13 and claimed, waiting for the window
  Deliver({Expiring("morning", kNow + 12 * kHourMs), Expiring("tonight", kNow + kHourMs)});
  ASSERT_TRUE(primary_.submits.empty());
  ASSERT_TRUE(store_.commits.empty()) << "admitted: the night has not begun";
  clock_.Advance(20 * kMinuteMs);  // 22:33
  primary_.ready = true;
  primary_.ready_handler();
  store_.Flush();
  defer_.Flush();
  EXPECT_TRUE(primary_.submits.empty());
  EXPECT_TRUE(backup_.submits.empty());
  // The one that outlives the night: the delay queue, as the entry the producer wrote.
  ASSERT_EQ(defer_.deferred.size(), 1u);
  EXPECT_EQ(defer_.deferred[0].job_id, "morning");
  EXPECT_EQ(defer_.deferred[0].entry.entry_id, "1-1");
  EXPECT_FALSE(defer_.deferred[0].entry.job.empty()) << "the signed bytes, for the re-check";
  EXPECT_FALSE(defer_.deferred[0].entry.sig.empty());
  EXPECT_EQ(defer_.deferred[0].due_ms, kMorning);
  // The one that would expire first: refused quiet_hours.
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0].job_id, "tonight");
  EXPECT_EQ(store_.commits[0].status, OutcomeStatus::kRejected);
  EXPECT_EQ(store_.commits[0].reason, Reason::kQuietHours);
  ASSERT_EQ(audit_.events.size(), 2u);
  EXPECT_EQ(audit_.events[0].action, "deferred");
  EXPECT_EQ(audit_.events[0].reason, Reason::kQuietHours);
  EXPECT_EQ(audit_.events[1].action, "rejected");
  EXPECT_EQ(dispatcher_->stats().quiet_deferred_at_submit, 1u);
  EXPECT_EQ(dispatcher_->stats().quiet_deferred, 1u);
  EXPECT_EQ(dispatcher_->inflight(), 0u);
}

// The carrier's own gate (a job that waited in the carrier's queue, under its pace) asks the
// same question and the dispatcher defers what it withheld.
TEST_F(DispatcherQuietTest, TheCarriersGateHoldsItToo) {
  Deliver({Expiring("paced", kNow + 12 * kHourMs)});
  ASSERT_EQ(primary_.submits.size(), 1u);
  EXPECT_EQ(primary_.submits[0].zones, 3) << "the recipient's zones travel with the job";
  SubmitGate& gate = *primary_.gate;
  GateQuery q = primary_.submits[0].Gate();
  EXPECT_TRUE(gate.Check(q).send()) << "22:13: not yet";
  clock_.Advance(20 * kMinuteMs);
  const GateVerdict v = gate.Check(q);
  EXPECT_EQ(v.reason, Reason::kQuietHours);
  EXPECT_EQ(v.retry_at_ms, kMorning);
  q.zones = kNoZones;
  EXPECT_TRUE(gate.Check(q).send()) << "a recipient in no known zone is not held";
  q.zones = 3;
  q.kind = JobKind::kMarketing;
  EXPECT_TRUE(gate.Check(q).send()) << "a kind the rule does not cover";
  primary_.CompleteFirstWithheld(v.reason, v.detail, v.retry_at_ms);
  store_.Flush();
  defer_.Flush();
  EXPECT_TRUE(backup_.submits.empty()) << "never failed over";
  ASSERT_EQ(defer_.deferred.size(), 1u);
  EXPECT_EQ(defer_.deferred[0].due_ms, kMorning);
  EXPECT_TRUE(store_.commits.empty());
  EXPECT_EQ(dispatcher_->stats().withheld_at_carrier, 1u);
  EXPECT_EQ(dispatcher_->inflight(), 0u);
}

}  // namespace
}  // namespace sd
