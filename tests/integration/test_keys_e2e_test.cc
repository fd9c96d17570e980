// Test-mode keys through real processes (docs/keys.md, "Test keys"): jobs signed with a test
// key, by Redis and by the HTTPS API, run every check and get their outcome and receipt from
// the built-in test carrier by the documented test numbers, and none of them reaches the
// SMSC (checked at the simulator); a live key's job beside them does. Test traffic is kept
// out of the live rate limits.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/integration/harness.h"
#include "tests/support/temp_dir.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

std::string Field(const Cluster::Fields& f, const std::string& k) {
  auto it = f.find(k);
  return it == f.end() ? std::string() : it->second;
}

TEST(TestKeysEndToEnd, TestNumbersGiveEachOutcomeAndNothingReachesTheSmsc) {
  TempDir scratch("sd-testkeys-e2e");
  const std::string messages = scratch.File("messages.jsonl");
  Cluster::Options o;
  o.keys_extra = "registry = \"redis\"\nmaster_key_file = \"master.key\"\n";
  o.sim_args = {"--messages-file", messages};
  // A live limit of 2 per destination prefix: the five test jobs to one prefix must not be
  // charged to it (the live job to another prefix passes either way).
  o.extra_config = "[[limits]]\nname = \"per_prefix\"\nscope = \"destination_prefix\"\n"
                   "prefix_drop_digits = 4\nrate = 2\nperiod_ms = 3600000\nburst = 2\n"
                   "action = \"reject\"\n";
  const int api_port = FreePort();
  o.extra_config += "[api]\nlisten = \"127.0.0.1:" + std::to_string(api_port) + "\"\nplain = true\n";
  Cluster c(o);
  const std::string redis = "127.0.0.1:" + std::to_string(c.redis_port());
  const std::string master = c.dir() + "/master.key";
  WriteFile(master, std::string(64, 'd') + "\n");
  std::string out;
  ASSERT_EQ(c.Cli({"keys", "create", "--name", "acme", "--mode", "test", "--redis", redis,
                   "--master-key-file", master},
                  &out),
            0)
      << out;
  const std::string test_id = CliField(out, "id");
  const std::string test_secret = CliField(out, "secret_hex");
  EXPECT_EQ(test_id, "test-acme.v1");
  WriteFile(c.dir() + "/producer.toml", "[[key]]\nid = \"" + test_id + "\"\nsecret = \"" +
                                            CliField(out, "secret_hex") + "\"\n");
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.DaemonLog().find("ready:") != std::string::npos; }, 30s));
  // One job per test number: ...00 delivered, 01 undelivered, 02 expired, 03 throttled then
  // delivered, 04 invalid destination.
  for (int n = 0; n <= 4; ++n) {
    ASSERT_EQ(c.Cli({"enqueue", "--redis", redis, "--key-file", c.dir() + "/producer.toml",
                     "--key-id", test_id, "--to", "+49151001234" + std::string("0") +
                     std::to_string(n), "--from", "ACME", "--text", "test " + std::to_string(n)},
                    &out),
              0)
        << out;
  }
  ASSERT_EQ(c.Enqueue({"--to", "+4917612345678", "--from", "ACME", "--text", "live"}), 0);
  // The other way in: the HTTPS API, the same test number rules.
  const std::string log = c.dir() + "/api.out";
  Process api({"/usr/bin/python3", SD_SOURCE_DIR "/tests/integration/api_client.py", "--url",
               "http://127.0.0.1:" + std::to_string(api_port), "--kid", test_id, "--secret",
               test_secret, "--body",
               R"({"to":"+4915100123401","from":"ACME","text":"api","kind":"transactional"})"},
              log);
  ASSERT_EQ(api.Wait(60s), 0) << ReadFile(log);
  EXPECT_NE(ReadFile(log).find("\"status\": 202"), std::string::npos) << ReadFile(log);
  ASSERT_TRUE(OutcomesReach(c, 7)) << c.DaemonLog();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:receipts") >= 6; }, 20s));
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
  std::map<std::string, std::string> outcome_by_to, receipt_by_job;
  std::map<std::string, std::string> job_to;
  for (const auto& e : c.ReadStream("sd:outcomes")) {
    outcome_by_to[Field(e, "job")] = Field(e, "status") + "/" + Field(e, "reason") + "/" +
                                     Field(e, "carrier");
  }
  for (const auto& r : c.ReadStream("sd:receipts")) receipt_by_job[Field(r, "job")] = Field(r, "status");
  size_t test_submitted = 0, rejected = 0, live = 0;
  for (const auto& [job, o2] : outcome_by_to) {
    if (o2 == "submitted//test") ++test_submitted;
    if (o2 == "rejected/carrier_rejected/") ++rejected;
    if (o2 == "submitted//sim") ++live;
  }
  EXPECT_EQ(test_submitted, 5u);
  EXPECT_EQ(rejected, 1u);
  EXPECT_EQ(live, 1u);
  std::map<std::string, int> states;
  for (const auto& [job, s] : receipt_by_job) ++states[s];
  EXPECT_EQ(states["delivered"], 3);  // ...00, ...03 and the live job
  EXPECT_EQ(states["undelivered"], 2);  // ...01 by Redis and by the API
  EXPECT_EQ(states["expired"], 1);
  // The daemon kept the test key's usage (written at the stats interval and at shutdown);
  // keys report reads it back against the key's scopes.
  ASSERT_EQ(c.Cli({"keys", "report", "--json", "--redis", redis, "--master-key-file", master},
                  &out),
            0)
      << out;
  const auto report = nlohmann::json::parse(out.substr(out.find('[')));
  ASSERT_EQ(report.size(), 1u) << out;
  EXPECT_EQ(report[0]["id"], test_id);
  EXPECT_EQ(report[0]["mode"], "test");
  EXPECT_EQ(report[0]["jobs"]["1d"], 6);
  EXPECT_EQ(report[0]["outcomes_30d"]["submitted"], 5);
  EXPECT_EQ(report[0]["outcomes_30d"]["rejected:carrier_rejected"], 1);
  EXPECT_EQ(report[0]["countries_30d"]["DE"], 5);
  EXPECT_EQ(report[0]["senders_30d"]["ACME"], 5);
  EXPECT_EQ(report[0]["suggest"][0], "--countries DE");
  // The SMSC saw the live job only.
  const std::string sent = ReadFile(messages);
  EXPECT_EQ(std::count(sent.begin(), sent.end(), '\n'), 1) << sent;
  EXPECT_NE(sent.find("4917612345678"), std::string::npos) << sent;
}

}  // namespace
}  // namespace sd::testing
