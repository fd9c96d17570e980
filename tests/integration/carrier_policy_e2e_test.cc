// Issue-level behaviour through the real daemon, redis-server and smsc-sim: long texts go out
// as concatenated parts and come back as ONE receipt per job; a rate limit with action
// "defer" sends jobs through the Redis delay queue and every one still gets exactly one
// outcome; security decisions land on the audit stream with the number masked.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "tests/integration/harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

TEST(CarrierPolicyEndToEnd, LongTextsAreSentInPartsAndReportedAsOneReceipt) {
  Cluster::Options o;
  o.receipt_delay_ms = 0;
  o.extra_config = "[policy]\nmobile_required = false\n";
  Cluster c(o);
  c.StartDaemon();
  // 200 GSM characters: 2 parts with an 8-bit UDH (153 + 47); 100 Cyrillic: 2 UCS-2 parts.
  ASSERT_EQ(c.Enqueue({"--count", "30", "--to-prefix", "+4915100", "--from", "ACME", "--text",
                       std::string(200, 'a')}),
            0);
  std::string cyrillic;
  for (int i = 0; i < 100; ++i) cyrillic += "\xd0\x96";
  ASSERT_EQ(c.Enqueue({"--count", "20", "--to-prefix", "+4915200", "--from", "ACME", "--text",
                       cyrillic}),
            0);
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:receipts") >= 50; }, 60s))
      << c.DaemonLog();
  const auto outcomes = c.ReadStream("sd:outcomes");
  ASSERT_EQ(outcomes.size(), 50u);
  for (const auto& out : outcomes) {
    EXPECT_EQ(out.at("status"), "submitted") << out.at("detail");
    EXPECT_EQ(out.at("segments"), "2");
  }
  // Parts arrive at the SMSC, which reassembles them: 100 submits, 50 whole messages.
  ASSERT_TRUE(WaitUntil([&] { return c.SimulatorStats()["reassembled_messages"] == 50; }, 30s));
  auto st = c.SimulatorStats();
  EXPECT_EQ(st["submits"], 100);
  EXPECT_EQ(st["reassembly_errors"], 0);
  // One receipt per job, never one per part, each naming its job.
  std::this_thread::sleep_for(300ms);  // a stray per-part receipt would show up by now
  const auto receipts = c.ReadStream("sd:receipts");
  ASSERT_EQ(receipts.size(), 50u);
  std::set<std::string> jobs;
  for (const auto& r : receipts) {
    EXPECT_EQ(r.at("status"), "delivered");
    EXPECT_EQ(r.at("parts"), "2");
    EXPECT_EQ(r.at("delivered_parts"), "2");
    jobs.insert(r.at("job"));
  }
  EXPECT_EQ(jobs.size(), 50u);
  EXPECT_EQ(c.StreamLength("sd:receipts:unmatched"), 0);
  c.StopDaemon();
}

// Three transmitter binds and a receiver bind, an SMSC answering with upper-case hex ids and
// reporting decimal ids with leading zeros: receipts arrive on another connection than their
// submit_sm_resp, often first, and every one still matches its job.
TEST(CarrierPolicyEndToEnd, SeveralBindsAndOtherIdNotationsStillMatchEveryReceipt) {
  Cluster::Options o;
  o.receipt_delay_ms = 0;
  o.window = 8;
  o.sim_args = {"--id-format", "hex-upper", "--receipt-id-format", "decimal",
                "--id-leading-zeros", "12"};
  o.extra_config =
      "bind = \"transmitter\"\nbinds = 3\nreceiver_binds = 1\nsubmit_id_format = \"hex\"\n"
      "receipt_id_format = \"decimal\"\n[policy]\nmobile_required = false\n";
  Cluster c(o);
  c.StartDaemon();
  constexpr int kJobs = 600;
  ASSERT_EQ(c.Enqueue({"--count", std::to_string(kJobs), "--to-prefix", "+4915100", "--from",
                       "ACME", "--text", "code 1234"}),
            0);
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:receipts") >= kJobs; }, 60s))
      << c.DaemonLog();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(c.StreamLength("sd:receipts"), kJobs);
  EXPECT_EQ(c.StreamLength("sd:receipts:unmatched"), 0);
  std::set<std::string> jobs;
  for (const auto& r : c.ReadStream("sd:receipts")) jobs.insert(r.at("job"));
  EXPECT_EQ(jobs.size(), static_cast<size_t>(kJobs));
  auto st = c.SimulatorStats();
  EXPECT_EQ(st["binds_tx"], 3);
  EXPECT_EQ(st["binds_rx"], 1);
  c.StopDaemon();
}

TEST(CarrierPolicyEndToEnd, DeferredJobsComeBackThroughTheDelayQueueAndAllAreSent) {
  Cluster::Options o;
  o.extra_config =
      "[policy]\nmobile_required = false\n"
      "[[limits]]\nname = \"per_key\"\nscope = \"key\"\nrate = 20\nperiod_ms = 1000\n"
      "burst = 5\naction = \"defer\"\n";
  Cluster c(o);
  c.StartDaemon();
  constexpr int kJobs = 40;  // 5 at once, then 20/s: most are deferred at least once
  ASSERT_EQ(c.Enqueue({"--count", std::to_string(kJobs), "--to-prefix", "+4915100", "--from",
                       "ACME", "--text", "code 1234"}),
            0);
  // Every job ends submitted; the entries it came back as are new ones on the jobs stream.
  ASSERT_TRUE(WaitUntil(
      [&] {
        long long submitted = 0;
        for (const auto& out : c.ReadStream("sd:outcomes")) submitted += out.at("status") == "submitted";
        return submitted == kJobs;
      },
      60s))
      << c.DaemonLog();
  const auto outcomes = c.ReadStream("sd:outcomes");
  std::map<std::string, int> per_job;
  for (const auto& out : outcomes) {
    EXPECT_EQ(out.at("status"), "submitted") << out.at("reason") << " " << out.at("detail");
    ++per_job[out.at("job")];
  }
  EXPECT_EQ(per_job.size(), static_cast<size_t>(kJobs));
  for (const auto& [job, n] : per_job) EXPECT_EQ(n, 1) << job;
  const auto jobs = c.ReadStream("sd:jobs");
  EXPECT_GT(jobs.size(), static_cast<size_t>(kJobs)) << "deferred jobs came back as new entries";
  // Each entry either has an outcome or was deferred; none is left pending, the set is empty.
  EXPECT_EQ(c.PendingCount(), 0);
  auto* r = static_cast<redisReply*>(redisCommand(c.redis(), "ZCARD sd:delayed"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->integer, 0);
  freeReplyObject(r);
  // Each deferral is audited, with the limit and the masked number.
  const auto audit = c.ReadStream("sd:audit");
  ASSERT_EQ(audit.size(), jobs.size() - kJobs);
  for (const auto& a : audit) {
    EXPECT_EQ(a.at("action"), "deferred");
    EXPECT_EQ(a.at("reason"), "rate_limited");
    EXPECT_NE(a.at("detail").find("per_key"), std::string::npos) << a.at("detail");
    EXPECT_EQ(a.at("dest").find("+4915"), 0u) << a.at("dest");
    EXPECT_NE(a.at("dest").find('*'), std::string::npos) << "masked: " << a.at("dest");
    EXPECT_EQ(a.at("kid"), "test.v1");
  }
  c.StopDaemon();
}

TEST(CarrierPolicyEndToEnd, SecurityRejectionsAreAudited) {
  Cluster::Options o;
  o.extra_config = "[policy]\nmobile_required = false\n";
  Cluster c(o);
  c.StartDaemon();
  ASSERT_EQ(c.Enqueue({"--to", "+4915112345678", "--from", "ACME", "--text", "x", "--corrupt",
                       "forged-signature"}),
            0);
  ASSERT_EQ(c.Enqueue({"--to", "+4915112345678", "--from", "ACME", "--text", "hello"}), 0);
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes") >= 2; }, 30s))
      << c.DaemonLog();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:audit") >= 1; }, 10s));
  const auto audit = c.ReadStream("sd:audit");
  ASSERT_EQ(audit.size(), 1u) << "the good job is not audited";
  EXPECT_EQ(audit[0].at("reason"), "bad_signature");
  EXPECT_EQ(audit[0].at("action"), "rejected");
  EXPECT_EQ(audit[0].at("kid"), "test.v1");
  for (const auto& [k, v] : audit[0]) {
    EXPECT_EQ(v.find("4915112345678"), std::string::npos) << "whole number in field " << k;
  }
  c.StopDaemon();
}

}  // namespace
}  // namespace sd::testing
