// The SMS-pumping defence end to end (docs/operations.md): a real daemon, redis-server and
// smsc-sim. One key sends steady OTPs to three countries, then a burst to a range it never
// used. The burst is detected and blocked within seconds, the steady traffic before, during
// and after it is untouched (no false positive), the block is on Redis for `smsdispatch
// blocks list`, survives a restart, and `blocks lift` ends it.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "tests/integration/harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kRule = R"(
[[pumping]]
name = "new_ranges"
scope = "key_prefix"
prefix_digits = 2
window_s = 10
baseline_s = 600
factor = 10
min_messages = 50
new_prefix_messages = 10
learn_s = 3
action = "block"
block_s = 600
)";

// Outcomes by ref ("steady", "pump", ...) and status/reason.
std::map<std::string, std::map<std::string, int>> Tally(Cluster& c) {
  std::map<std::string, std::map<std::string, int>> t;
  for (const auto& o : c.ReadStream("sd:outcomes")) {
    const std::string what = o.at("status") == "submitted" ? "submitted" : o.at("reason");
    ++t[o.count("ref") ? o.at("ref") : ""][what];
  }
  return t;
}

void Steady(Cluster& c, const std::string& ref) {
  for (const auto& [prefix, n] : std::vector<std::pair<std::string, std::string>>{
           {"+4915100", "30"}, {"+447911", "20"}, {"+33612", "10"}}) {
    ASSERT_EQ(c.Enqueue({"--count", n, "--to-prefix", prefix, "--from", "ACME", "--text",
                         "code 1234", "--kind", "otp", "--ref", ref}),
              0);
  }
}

TEST(PumpingEndToEnd, ABurstToANewRangeIsBlockedAndSteadyTrafficIsUntouched) {
  Cluster::Options o;
  o.extra_config = kRule;
  Cluster c(o);
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.DaemonLog().find("ready:") != std::string::npos; }, 30s))
      << c.DaemonLog();
  // The key's usual ranges, while it is being learnt, then again once learnt.
  ASSERT_NO_FATAL_FAILURE(Steady(c, "steady"));
  ASSERT_TRUE(OutcomesReach(c, 60)) << c.DaemonLog();
  std::this_thread::sleep_for(3500ms);
  ASSERT_NO_FATAL_FAILURE(Steady(c, "steady"));
  ASSERT_TRUE(OutcomesReach(c, 120)) << c.DaemonLog();

  // The pump: 60 OTPs to +37120..., a range this key never sent to.
  const auto burst_at = std::chrono::steady_clock::now();
  ASSERT_EQ(c.Enqueue({"--count", "60", "--to-prefix", "+37120", "--from", "ACME", "--text",
                       "code 1234", "--kind", "otp", "--ref", "pump"}),
            0);
  std::string blocks;
  ASSERT_TRUE(WaitUntil(
      [&] {
        c.Cli({"blocks", "list", "--redis", "127.0.0.1:" + std::to_string(c.redis_port())},
              &blocks);
        return blocks.find("+37120") != std::string::npos;
      },
      10s))
      << blocks << c.DaemonLog();
  EXPECT_LE(std::chrono::steady_clock::now() - burst_at, 10s) << "detected within 10 s";
  EXPECT_NE(blocks.find("key test "), std::string::npos) << blocks;
  EXPECT_NE(blocks.find("by new_ranges"), std::string::npos) << blocks;
  ASSERT_TRUE(OutcomesReach(c, 180)) << c.DaemonLog();
  // Steady traffic while the block is in force.
  ASSERT_NO_FATAL_FAILURE(Steady(c, "during"));
  ASSERT_TRUE(OutcomesReach(c, 240)) << c.DaemonLog();

  auto t = Tally(c);
  EXPECT_EQ(t["steady"]["submitted"], 120) << "no false positive on the steady part";
  EXPECT_EQ(t["during"]["submitted"], 60) << "the block touches only its range";
  EXPECT_LE(t["pump"]["submitted"], 10) << "at most the jobs counted before it fired";
  EXPECT_GE(t["pump"]["pumping_suspected"], 50);
  EXPECT_EQ(t["pump"]["submitted"] + t["pump"]["pumping_suspected"], 60);
  // Audited: the block raised, and each refusal.
  int raised = 0, refused = 0;
  for (const auto& a : c.ReadStream("sd:audit")) {
    if (a.at("reason") != "pumping_suspected") continue;
    raised += a.at("action") == "pumping_block" ? 1 : 0;
    refused += a.at("action") == "rejected" ? 1 : 0;
  }
  EXPECT_EQ(raised, 1);
  EXPECT_EQ(refused, t["pump"]["pumping_suspected"]);

  // The block lives in Redis: a restarted daemon still refuses the range ...
  c.StopDaemon();
  c.StartDaemon();
  ASSERT_EQ(c.Enqueue({"--to", "+37120009999", "--from", "ACME", "--text", "x", "--kind", "otp",
                       "--ref", "after-restart"}),
            0);
  ASSERT_TRUE(OutcomesReach(c, 241)) << c.DaemonLog();
  EXPECT_EQ(Tally(c)["after-restart"]["pumping_suspected"], 1);
  // ... until an operator lifts it; every daemon sees that within about a second.
  std::string out;
  ASSERT_EQ(c.Cli({"blocks", "lift", "--redis", "127.0.0.1:" + std::to_string(c.redis_port()),
                   "--prefix", "+37120", "--key", "test"},
                  &out),
            0)
      << out;
  std::this_thread::sleep_for(1500ms);
  ASSERT_EQ(c.Enqueue({"--to", "+37120009998", "--from", "ACME", "--text", "x", "--kind", "otp",
                       "--ref", "lifted"}),
            0);
  ASSERT_TRUE(OutcomesReach(c, 242)) << c.DaemonLog();
  EXPECT_EQ(Tally(c)["lifted"]["submitted"], 1);
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
}

TEST(PumpingEndToEnd, OperatorBlocksReachARunningDaemonAndBadArgumentsAreRefused) {
  Cluster c(Cluster::Options{});
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.DaemonLog().find("ready:") != std::string::npos; }, 30s));
  const std::string redis = "127.0.0.1:" + std::to_string(c.redis_port());
  std::string out;
  EXPECT_EQ(c.Cli({"blocks", "add", "--redis", redis, "--prefix", "4479"}, &out), 2) << out;
  EXPECT_EQ(
      c.Cli({"blocks", "add", "--redis", redis, "--prefix", "+4479", "--duration", "0s"}, &out), 2)
      << out;
  EXPECT_EQ(c.Cli({"blocks", "drop", "--redis", redis}, &out), 2) << out;
  ASSERT_EQ(c.Cli({"blocks", "add", "--redis", redis, "--prefix", "+4479", "--duration", "10m",
                   "--note", "premium range seen"},
                  &out),
            0)
      << out;
  EXPECT_NE(out.find("blocked +4479 for every key until "), std::string::npos) << out;
  ASSERT_TRUE(WaitUntil(
      [&] { return c.DaemonLog().find("1 pumping block(s) in force") != std::string::npos; }, 5s))
      << c.DaemonLog();
  ASSERT_EQ(c.Enqueue({"--to", "+447911123456", "--from", "ACME", "--text", "x", "--ref", "uk"}),
            0);
  ASSERT_EQ(c.Enqueue({"--to", "+4915112345678", "--from", "ACME", "--text", "x", "--ref", "de"}),
            0);
  ASSERT_TRUE(OutcomesReach(c, 2));
  auto t = Tally(c);
  EXPECT_EQ(t["uk"]["pumping_suspected"], 1);
  EXPECT_EQ(t["de"]["submitted"], 1);
  ASSERT_EQ(c.Cli({"blocks", "list", "--redis", redis, "--json"}, &out), 0);
  EXPECT_NE(out.find("\"note\":\"premium range seen\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"rule\":\"operator\""), std::string::npos) << out;
  c.StopDaemon();
}

}  // namespace
}  // namespace sd::testing
