// Scheduled sends through the real processes (docs/jobs.md "Scheduled sends"): jobs signed
// with send_at a few seconds ahead wait in the delay queue and reach the SMSC no earlier; when
// due they are decided again, so a recipient who opted out while they waited is not sent to.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "adapters/policy/icu_local_times.h"
#include "core/envelope.h"
#include "tests/integration/harness.h"
#include "tests/support/temp_dir.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

TEST(ScheduledEndToEnd, JobsWaitForSendAtAndAreCheckedAgainWhenDue) {
  Cluster::Options o;
  o.extra_config = "[policy]\nnumber_check = false\n";
  Cluster c(o);
  c.StartDaemon();
  constexpr int kJobs = 5;
  ASSERT_EQ(
      c.Enqueue({"--count", std::to_string(kJobs), "--to-prefix", "+4915100", "--from", "ACME",
                 "--text", "see you at noon", "--kind", "transactional", "--send-in-s", "3"}),
      0);
  // By job id: a job comes back from the delay queue as a new entry with the same bytes.
  std::map<std::string, Job> jobs;
  for (const auto& e : c.ReadStream("sd:jobs")) {
    auto job = DecodeJob(e.at("job"));
    ASSERT_TRUE(job.ok());
    EXPECT_EQ(job->send_at_ms, job->created_ms + 3000);
    EXPECT_EQ(job->expires_ms, job->send_at_ms + 3'600'000) << "the TTL runs from send_at";
    jobs[job->id] = std::move(job).value();
  }
  ASSERT_EQ(jobs.size(), static_cast<size_t>(kJobs));
  // All five wait in the delay queue (checked and acknowledged); then one recipient opts out.
  ASSERT_TRUE(WaitUntil([&] { return DelayedCount(c) == kJobs; }, 10s)) << c.DaemonLog();
  EXPECT_EQ(c.StreamLength("sd:outcomes"), 0) << "no outcome before send_at";
  const std::string opted_out = jobs.begin()->second.destination;
  std::string out;
  ASSERT_EQ(c.Cli({"optouts", "add", "--number", opted_out, "--all", "--redis",
                   "127.0.0.1:" + std::to_string(c.redis_port())},
                  &out),
            0)
      << out;
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes") >= kJobs; }, 60s))
      << c.DaemonLog();
  c.StopDaemon();
  int submitted = 0, refused = 0;
  for (const auto& outcome : c.ReadStream("sd:outcomes")) {
    ASSERT_EQ(jobs.count(outcome.at("job")), 1u) << outcome.at("job");
    const Job& job = jobs.at(outcome.at("job"));
    // Every outcome, and so every submit, came no earlier than the job's send_at.
    EXPECT_GE(std::stoll(outcome.at("ts")), job.send_at_ms) << job.id;
    if (outcome.at("status") == "submitted") {
      ++submitted;
    } else {
      EXPECT_EQ(outcome.at("reason"), "opted_out");
      EXPECT_EQ(job.destination, opted_out);
      ++refused;
    }
  }
  EXPECT_EQ(submitted, kJobs - 1);
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(c.SimulatorStats()["submits"], kJobs - 1);
}

// Quiet hours against the real zone data (libphonenumber's prefix-to-zone map, ICU's zones): a
// window around the present hour in Berlin holds a marketing job to a German mobile in the delay
// queue, audited; an OTP goes; a marketing job that would expire first is refused.
// A [[quiet_hours]] for marketing from two hours before to two hours after the present
// minute on a German mobile's clock (placed by the real map: Europe/Berlin).
std::string QuietAroundNowInBerlin() {
  std::vector<int> offsets;
  const IcuLocalTimes& times = *IcuLocalTimes::Shared();
  times.OffsetsAt(times.Place({"+4915112345678", NumberType::kMobile}), WallMs(), &offsets);
  EXPECT_EQ(offsets.size(), 1u);
  const int local = static_cast<int>(((WallMs() / 60'000 + offsets.at(0)) % 1440 + 1440) % 1440);
  auto hhmm = [](int m) {
    m = ((m % 1440) + 1440) % 1440;
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", m / 60, m % 60);
    return std::string(buf);
  };
  return "[[quiet_hours]]\nkinds = [\"marketing\"]\nstart = \"" + hhmm(local - 120) +
         "\"\nend = \"" + hhmm(local + 120) + "\"\n";
}

TEST(ScheduledEndToEnd, QuietHoursInTheRecipientsZoneHoldMarketingUntilMorning) {
  Cluster::Options o;
  o.extra_config = QuietAroundNowInBerlin();
  Cluster c(o);
  c.StartDaemon();
  const auto send = [&](const std::string& to, const std::string& kind, const std::string& ttl) {
    ASSERT_EQ(c.Enqueue({"--to", to, "--from", "ACME", "--text", "hello", "--kind", kind, "--ttl-s",
                         ttl}),
              0);
  };
  send("+4915112345001", "marketing", "86000");
  send("+4915112345002", "otp", "600");
  send("+4915112345003", "marketing", "600");  // the window ends in two hours: too late
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes") >= 2; }, 30s)) << c.DaemonLog();
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const auto& a : c.ReadStream("sd:audit")) {
          if (a.at("action") == "deferred" && a.at("reason") == "quiet_hours") return true;
        }
        return false;
      },
      10s))
      << c.DaemonLog();
  c.StopDaemon();
  std::map<std::string, int> by_ref;
  for (const auto& out : c.ReadStream("sd:outcomes")) {
    by_ref[out.at("status") + ":" + out.at("reason")]++;
  }
  EXPECT_EQ(c.StreamLength("sd:outcomes"), 2) << "the first marketing job waits";
  EXPECT_EQ(by_ref.count("submitted:"), 1u);
  EXPECT_EQ(by_ref.count("rejected:quiet_hours"), 1u);
  EXPECT_EQ(DelayedCount(c), 1);
}

// Quiet hours checked where a job goes on the wire: a paced carrier (50/s, a window of 256)
// is sending 600 marketing jobs admitted by day when a reload brings a window that covers
// the present hour on the recipients' clock. The jobs still queued (in the dispatcher, or in
// the carrier's bind) are not sent: each waits in the delay queue for the window's end, with
// no outcome yet; nothing reaches the SMSC more than a second after the reload.
TEST(ScheduledEndToEnd, QuietHoursBroughtByAReloadHoldJobsAlreadyQueuedForAPacedCarrier) {
  TempDir scratch("sd-quiet-e2e");
  const std::string messages = scratch.File("messages.jsonl");
  Cluster c(PacedCarrierOptions(50, messages));
  constexpr int kJobs = 600;
  ASSERT_EQ(c.Enqueue({"--count", std::to_string(kJobs), "--to-prefix", "+4915100", "--from",
                       "ACME", "--text", "sale today", "--kind", "marketing", "--ttl-s", "86000"}),
            0);
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.SimulatorStats()["submits"] >= 50; }, 60s)) << c.DaemonLog();
  WriteFile(c.ConfigPath(), ReadFile(c.ConfigPath()) + QuietAroundNowInBerlin(), 0644);
  c.daemon()->Signal(SIGHUP);
  const int64_t reloaded_ms = WallMs();
  ASSERT_TRUE(
      WaitUntil([&] { return c.StreamLength("sd:outcomes") + DelayedCount(c) == kJobs; }, 60s))
      << c.DaemonLog();
  c.StopDaemon();
  const size_t sent = ReadSimMessages(messages).size();
  EXPECT_EQ(MessagesAfter(messages, reloaded_ms + 1000), 0u) << "of " << sent << " sent";
  long long submitted = 0;
  for (const auto& outcome : c.ReadStream("sd:outcomes")) {
    EXPECT_EQ(outcome.at("status"), "submitted") << "nothing refused: the window ends in time";
    ++submitted;
  }
  EXPECT_EQ(static_cast<long long>(sent), submitted);
  EXPECT_GT(DelayedCount(c), 300) << "most were still queued when the night came";
  int deferred_events = 0;
  for (const auto& ev : c.ReadStream("sd:audit")) {
    deferred_events += ev.at("action") == "deferred" && ev.at("reason") == "quiet_hours";
  }
  EXPECT_EQ(deferred_events, DelayedCount(c));
}

}  // namespace
}  // namespace sd::testing
