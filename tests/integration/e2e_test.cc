// End to end: signed jobs -> redis-server -> smsdispatchd -> smsc-sim -> receipts -> Redis.
// Every assertion is on what a producer can read from Redis and what the SMSC saw.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <set>

#include "tests/integration/harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

TEST(EndToEnd, EveryJobGetsOneOutcomeAndOneReceipt) {
  Cluster c(Cluster::Options{});
  ASSERT_EQ(c.Enqueue({"--count", "300", "--to-prefix", "+4915100", "--from", "ACME", "--text", "code 1234",
                       "--kind", "otp", "--ref", "order-7"}), 0);
  c.StartDaemon();
  ASSERT_TRUE(OutcomesReach(c, 300)) << c.DaemonLog();
  // Jobs enqueued while the daemon runs are picked up too.
  ASSERT_EQ(c.Enqueue({"--count", "200", "--to-prefix", "+4915200", "--from", "ACME", "--text", "Grüße €"}), 0);
  ASSERT_TRUE(OutcomesReach(c, 500)) << c.DaemonLog();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:receipts") >= 500; }, 30s)) << c.DaemonLog();
  c.StopDaemon();

  ExpectExactlyOneOutcomePerEntry(c);
  const auto outcomes = c.ReadStream("sd:outcomes");
  std::map<std::string, std::string> job_by_msgid;
  for (const auto& o : outcomes) {
    EXPECT_EQ(o.at("status"), "submitted") << o.at("reason") << " " << o.at("detail");
    EXPECT_EQ(o.at("segments"), "1");
    EXPECT_FALSE(o.at("message_id").empty());
    job_by_msgid[o.at("message_id")] = o.at("job");
  }
  const auto receipts = c.ReadStream("sd:receipts");
  EXPECT_EQ(receipts.size(), 500u);
  std::set<std::string> jobs_with_receipt;
  for (const auto& r : receipts) {
    EXPECT_EQ(r.at("status"), "delivered");
    EXPECT_EQ(r.at("job"), job_by_msgid[r.at("message_id")]) << "receipt matched to the wrong job";
    jobs_with_receipt.insert(r.at("job"));
  }
  EXPECT_EQ(jobs_with_receipt.size(), 500u);
  EXPECT_EQ(c.PendingCount(), 0) << "every entry is acknowledged";
  EXPECT_EQ(c.StreamLength("sd:receipts:unmatched"), 0);
  EXPECT_EQ(c.SimulatorStats()["submits"], 500);
}

TEST(EndToEnd, ReceiptsCarryTheTimeTheDaemonReceivedThem) {
  Cluster::Options o;
  o.sim_args = {"--garbage-receipt-every", "4"};  // every 4th receipt goes to quarantine
  Cluster c(o);
  const auto wall_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const long long start_ms = wall_ms();
  ASSERT_EQ(
      c.Enqueue({"--count", "20", "--to-prefix", "+4915100", "--from", "ACME", "--text", "t"}), 0);
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil(
      [&] { return c.StreamLength("sd:receipts") + c.StreamLength("sd:receipts:unmatched") >= 20; },
      60s))
      << c.DaemonLog();
  c.StopDaemon();
  const long long end_ms = wall_ms();
  const auto matched = c.ReadStream("sd:receipts");
  const auto quarantined = c.ReadStream("sd:receipts:unmatched");
  EXPECT_EQ(matched.size(), 15u);
  EXPECT_EQ(quarantined.size(), 5u);
  for (const auto* stream : {&matched, &quarantined}) {
    for (const auto& r : *stream) {
      const long long ts = std::stoll(r.at("ts"));
      EXPECT_GE(ts, start_ms) << r.at("_id");
      EXPECT_LE(ts, end_ms) << r.at("_id");
    }
  }
}

TEST(EndToEnd, BadJobsAreRejectedWithTheirReasonAndNeverSubmitted) {
  Cluster c(Cluster::Options{});
  const std::map<std::string, std::string> expected{
      {"forged-signature", "bad_signature"}, {"unknown-key", "unknown_key"}, {"expired", "expired"},
      {"malformed", "malformed"},            {"wrong-stream", "bad_signature"}, {"bad-number", "invalid_number"}};
  for (const auto& [mode, reason] : expected) {
    ASSERT_EQ(c.Enqueue({"--to", "+4915112345678", "--from", "ACME", "--text", "x", "--corrupt", mode}), 0) << mode;
  }
  ASSERT_EQ(c.Enqueue({"--to", "+4915112345678", "--from", "bad-sender!", "--text", "x"}), 0);
  // A raw entry with a missing field is malformed, not dropped.
  freeReplyObject(redisCommand(c.redis(), "XADD sd:jobs * v sd1 kid test.v1"));
  c.StartDaemon();
  ASSERT_TRUE(OutcomesReach(c, 8)) << c.DaemonLog();
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
  const auto outcomes = c.ReadStream("sd:outcomes");
  std::vector<std::string> reasons;
  for (const auto& o : outcomes) {
    EXPECT_EQ(o.at("status"), "rejected");
    reasons.push_back(o.at("reason"));
  }
  std::vector<std::string> want;
  for (const auto& [mode, reason] : expected) want.push_back(reason);
  // Enqueue order is the map's order; then the sender and the raw entry.
  want.push_back("invalid_sender");
  want.push_back("malformed");
  EXPECT_EQ(reasons, want);
  EXPECT_EQ(c.SimulatorStats()["submits"], 0) << "no bad job reaches the carrier";
}

TEST(EndToEnd, SecondEntryWithTheSameJobIdIsAReplay) {
  Cluster c(Cluster::Options{});
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(c.Enqueue({"--to", "+4915112345678", "--from", "ACME", "--text", "hi", "--id", "same-id-1"}), 0);
  }
  c.StartDaemon();
  ASSERT_TRUE(OutcomesReach(c, 2)) << c.DaemonLog();
  c.StopDaemon();
  const auto outcomes = c.ReadStream("sd:outcomes");
  ASSERT_EQ(outcomes.size(), 2u);
  std::multiset<std::string> statuses{outcomes[0].at("status") + ":" + outcomes[0].at("reason"),
                                      outcomes[1].at("status") + ":" + outcomes[1].at("reason")};
  EXPECT_EQ(statuses, (std::multiset<std::string>{"rejected:replay", "submitted:"}));
  EXPECT_EQ(c.SimulatorStats()["submits"], 1);
}

TEST(EndToEnd, PermanentCarrierErrorBecomesARejectedOutcome) {
  Cluster::Options o;
  o.reject_dest_prefix = "4930";
  o.extra_config = "[policy]\nmobile_required = false\n";  // a Berlin landline
  Cluster c(o);
  ASSERT_EQ(c.Enqueue({"--to", "+4930123456789", "--from", "ACME", "--text", "hi"}), 0);
  c.StartDaemon();
  ASSERT_TRUE(OutcomesReach(c, 1)) << c.DaemonLog();
  c.StopDaemon();
  const auto outcomes = c.ReadStream("sd:outcomes");
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].at("reason"), "carrier_rejected");
  EXPECT_NE(outcomes[0].at("detail").find("0x0000000B"), std::string::npos) << outcomes[0].at("detail");
}

// After a kill -9 the jobs sent again are those at the carrier without a durable outcome; a
// job the carrier accepted keeps its place in the window until its outcome is written, so
// that is at most the window (one bind here) per kill. Without that, accepted outcomes still
// waiting for Redis came on top (up to max_inflight): the write linger makes them wait.
TEST(EndToEnd, KillNineMidRunLosesNothingAndDuplicatesAtMostTheWindow) {
  Cluster::Options o;
  o.submit_latency_ms = 5;  // keep submits in flight when the kill lands
  o.window = 32;
  o.max_inflight = 128;
  o.redis_extra = "write_linger_ms = 20";  // and accepted outcomes waiting for their write
  Cluster c(o);
  const long long n = 3000;
  const int kills = 2;
  ASSERT_EQ(c.Enqueue({"--count", std::to_string(n), "--to-prefix", "+4915100", "--from", "ACME", "--text", "t"}), 0);
  std::vector<long long> at_kill;
  for (int k = 0; k < kills; ++k) {
    c.StartDaemon();
    const long long want = 500 * (k + 1);
    ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes") >= want; }, 60s))
        << c.DaemonLog();
    c.KillDaemon();
    at_kill.push_back(c.StreamLength("sd:outcomes"));
    ASSERT_LT(at_kill.back(), n) << "the kill must land mid-run for this test to mean anything";
  }
  c.StartDaemon();
  ASSERT_TRUE(OutcomesReach(c, n, 120s)) << c.DaemonLog();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:receipts") >= n; }, 60s));
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
  EXPECT_EQ(c.PendingCount(), 0);
  const long long submits = c.SimulatorStats()["submits"];
  EXPECT_GE(submits, n);
  const long long bound = kills * o.window;
  EXPECT_LE(submits - n, bound) << "duplicates beyond the carrier window per kill";
  RecordProperty("duplicate_submits", static_cast<int>(submits - n));
  std::printf("%d kills -9 after %lld and %lld outcomes: %lld duplicate submits (bound %lld)\n",
              kills, at_kill[0], at_kill[1], submits - n, bound);
}

// The same with commits and receipts written as plain commands ([redis] plain_writes): a
// kill -9 between a batch's WATCHed check and its EXEC, or after it, still leaves exactly one
// outcome per entry.
TEST(EndToEnd, KillNineWithPlainWritesLosesNothing) {
  Cluster::Options o;
  o.submit_latency_ms = 5;
  o.window = 32;
  o.max_inflight = 128;
  o.redis_extra = "plain_writes = true";
  Cluster c(o);
  const long long n = 2000;
  ASSERT_EQ(c.Enqueue({"--count", std::to_string(n), "--to-prefix", "+4915100", "--from", "ACME", "--text", "t"}), 0);
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes") >= 600; }, 60s))
      << c.DaemonLog();
  c.KillDaemon();
  ASSERT_LT(c.StreamLength("sd:outcomes"), n) << "the kill must land mid-run";
  c.StartDaemon();
  ASSERT_TRUE(OutcomesReach(c, n, 120s)) << c.DaemonLog();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:receipts") >= n; }, 60s));
  // The writes went the plain way (the daemon's stats hash, published every second).
  auto plain = [&](const char* field) {
    redisReply* r = static_cast<redisReply*>(redisCommand(c.redis(), "HGET sd:stats:e2e %s", field));
    const long long v = r != nullptr && r->type == REDIS_REPLY_STRING ? std::atoll(r->str) : 0;
    if (r != nullptr) freeReplyObject(r);
    return v;
  };
  ASSERT_TRUE(WaitUntil([&] { return plain("redis.plain_commits") > 0 && plain("redis.plain_receipts") > 0; }, 10s))
      << c.DaemonLog();
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
  EXPECT_EQ(c.PendingCount(), 0);
  const long long submits = c.SimulatorStats()["submits"];
  EXPECT_LE(submits - n, o.window) << "duplicates beyond the carrier window for one kill";
}

TEST(EndToEnd, CarrierOutageIsRetriedNotLost) {
  Cluster::Options o;
  o.submit_latency_ms = 2;
  Cluster c(o);
  c.StartDaemon();
  ASSERT_EQ(c.Enqueue({"--count", "400", "--to-prefix", "+4915100", "--from", "ACME", "--text", "t"}), 0);
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes") >= 50; }, 30s)) << c.DaemonLog();
  c.KillSimulator();
  std::this_thread::sleep_for(300ms);  // let the daemon notice and fail its window
  c.StartSimulator();                  // same port
  ASSERT_TRUE(OutcomesReach(c, 400, 60s)) << c.DaemonLog();
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
  for (const auto& out : c.ReadStream("sd:outcomes")) EXPECT_EQ(out.at("status"), "submitted");
}

TEST(EndToEnd, BadConfigStopsStartupNamingFileAndLine) {
  Cluster c(Cluster::Options{});
  WriteFile(c.dir() + "/bad.toml", "[redis]\nport = 6379\nbatchh = 5\n", 0644);
  Process p({SD_DAEMON, "--config", c.dir() + "/bad.toml"}, c.dir() + "/bad.log");
  EXPECT_EQ(p.Wait(10s), 78);
  const std::string log = ReadFile(c.dir() + "/bad.log");
  EXPECT_NE(log.find(c.dir() + "/bad.toml:3:1: unknown key 'batchh' in [redis]"), std::string::npos) << log;
}

TEST(EndToEnd, SigtermWithJobsInFlightExitsCleanlyAndTheRestResumes) {
  Cluster::Options o;
  o.submit_latency_ms = 20;
  o.window = 16;
  Cluster c(o);
  ASSERT_EQ(c.Enqueue({"--count", "1000", "--to-prefix", "+4915100", "--from", "ACME", "--text", "t"}), 0);
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes") >= 50; }, 30s));
  c.StopDaemon();  // throws unless exit 0
  c.StartDaemon();
  ASSERT_TRUE(OutcomesReach(c, 1000, 120s)) << c.DaemonLog();
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
}

}  // namespace
}  // namespace sd::testing

namespace sd::testing {
namespace {

TEST(EndToEnd, EnqueueFromJsonLinesFile) {
  Cluster c(Cluster::Options{});
  WriteFile(c.dir() + "/jobs.jsonl",
            "{\"to\":\"+4915112345678\",\"from\":\"ACME\",\"text\":\"one\",\"kind\":\"otp\",\"ref\":\"r1\",\"id\":\"jl-1\"}\n"
            "\n"
            "{\"to\":\"+4915112345679\",\"from\":\"ACME\",\"text\":\"two\",\"kind\":\"marketing\",\"ttl_s\":60}\n");
  std::string out;
  ASSERT_EQ(c.Enqueue({"--file", c.dir() + "/jobs.jsonl"}, &out), 0) << out;
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes") >= 2; }, std::chrono::seconds(30)));
  c.StopDaemon();
  const auto outcomes = c.ReadStream("sd:outcomes");
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].at("job"), "jl-1");
  EXPECT_EQ(outcomes[0].at("ref"), "r1");
  EXPECT_EQ(outcomes[1].at("status"), "submitted");
  // A bad line is reported with its line number and nothing of that file is enqueued.
  WriteFile(c.dir() + "/bad.jsonl", "{\"to\":\"+4915112345678\",\"from\":\"A\",\"text\":\"x\"}\nnot json\n");
  EXPECT_EQ(c.Enqueue({"--file", c.dir() + "/bad.jsonl"}, &out), 1);
  EXPECT_NE(out.find("bad.jsonl:2: not a JSON object"), std::string::npos) << out;
  EXPECT_EQ(c.StreamLength("sd:jobs"), 2);
  // Usage errors exit 2.
  EXPECT_EQ(c.Cli({"enqueue", "--to", "+4915112345678"}, &out), 2);
  EXPECT_EQ(c.Cli({"frobnicate"}, &out), 2);
}

TEST(EndToEnd, KeygenWritesAPrivateKeyFile) {
  Cluster c(Cluster::Options{});
  const std::string path = c.dir() + "/new-keys.toml";
  ASSERT_EQ(c.Cli({"keygen", "--id", "a.v1", "--out", path}), 0);
  ASSERT_EQ(c.Cli({"keygen", "--id", "a.v2", "--out", path}), 0);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string text = ReadFile(path);
  EXPECT_NE(text.find("id = \"a.v1\""), std::string::npos);
  EXPECT_NE(text.find("id = \"a.v2\""), std::string::npos);
  chmod(path.c_str(), 0644);
  std::string out;
  EXPECT_EQ(c.Cli({"keygen", "--id", "a.v3", "--out", path}, &out), 1);
  EXPECT_NE(out.find("refusing"), std::string::npos) << out;
}

}  // namespace
}  // namespace sd::testing
