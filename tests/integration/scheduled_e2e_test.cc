// Scheduled sends through the real processes (docs/jobs.md "Scheduled sends"): jobs signed
// with send_at a few seconds ahead wait in the delay queue and reach the SMSC no earlier; when
// due they are decided again, so a recipient who opted out while they waited is not sent to.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <chrono>
#include <map>
#include <string>

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

}  // namespace
}  // namespace sd::testing
