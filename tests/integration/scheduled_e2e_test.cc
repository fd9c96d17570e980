// Scheduled sends through the real processes (docs/jobs.md "Scheduled sends"): jobs signed
// with send_at a few seconds ahead wait in the delay queue and reach the SMSC no earlier; when
// due they are decided again, so a recipient who opted out while they waited is not sent to.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "adapters/policy/icu_local_times.h"
#include "core/envelope.h"
#include "tests/integration/harness.h"

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
  const auto delayed = [&c] {
    redisReply* r = static_cast<redisReply*>(redisCommand(c.redis(), "ZCARD sd:delayed"));
    const long long n = r != nullptr && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r != nullptr) freeReplyObject(r);
    return n;
  };
  ASSERT_TRUE(WaitUntil([&] { return delayed() == kJobs; }, 10s)) << c.DaemonLog();
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

// Quiet hours against the real zone data (libphonenumber's region, ICU's zones): a window
// around the present hour in Berlin holds a marketing job to a German mobile in the delay
// queue, audited; an OTP goes; a marketing job that would expire first is refused.
TEST(ScheduledEndToEnd, QuietHoursInTheRecipientsZoneHoldMarketingUntilMorning) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::vector<int> offsets;
  IcuLocalTimes::Shared()->OffsetsAt("DE", now, &offsets);
  ASSERT_FALSE(offsets.empty());
  const int local = static_cast<int>(((now / 60'000 + offsets[0]) % 1440 + 1440) % 1440);
  auto hhmm = [](int m) {
    m = ((m % 1440) + 1440) % 1440;
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", m / 60, m % 60);
    return std::string(buf);
  };
  Cluster::Options o;
  o.extra_config = "[[quiet_hours]]\nkinds = [\"marketing\"]\nstart = \"" + hhmm(local - 120) +
                   "\"\nend = \"" + hhmm(local + 120) + "\"\n";
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
  redisReply* r = static_cast<redisReply*>(redisCommand(c.redis(), "ZCARD sd:delayed"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->integer, 1);
  freeReplyObject(r);
}

}  // namespace
}  // namespace sd::testing
