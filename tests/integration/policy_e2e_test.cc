// The policy wired into the running daemon (docs/policy.md "How it is wired"): a key revoked
// with the CLI stops that key's jobs within a second, and SIGHUP reloads of the policy under
// load lose no job. Real redis-server, smsc-sim, smsdispatchd and CLI.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "tests/integration/harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

TEST(PolicyEndToEnd, KeyRevokedWithTheCliIsRejectedWithinOneSecond) {
  Cluster::Options o;
  o.keys_extra = "registry = \"redis\"\nmaster_key_file = \"master.key\"\n";
  Cluster c(o);
  const std::string redis = "127.0.0.1:" + std::to_string(c.redis_port());
  const std::string master = c.dir() + "/master.key";
  WriteFile(master, std::string(64, 'c') + "\n");
  std::string out;
  ASSERT_EQ(
      c.Cli({"keys", "create", "--name", "acme", "--redis", redis, "--master-key-file", master},
            &out),
      0)
      << out;
  const std::string id = CliField(out, "id");
  const std::string secret = CliField(out, "secret_hex");
  ASSERT_EQ(id, "acme.v1") << out;
  ASSERT_EQ(secret.size(), 64u) << out;
  const std::string producer_keys = c.dir() + "/acme.toml";
  WriteFile(producer_keys, "[[key]]\nid = \"acme.v1\"\nsecret = \"" + secret + "\"\n");
  auto enqueue = [&] {
    return c.Cli({"enqueue", "--redis", redis, "--key-file", producer_keys, "--key-id", id, "--to",
                  "+4915112345678", "--from", "ACME", "--text", "hello"});
  };

  c.StartDaemon();
  ASSERT_EQ(enqueue(), 0);
  ASSERT_TRUE(OutcomesReach(c, 1)) << c.DaemonLog();
  EXPECT_EQ(c.ReadStream("sd:outcomes")[0].at("status"), "submitted") << c.DaemonLog();

  ASSERT_EQ(
      c.Cli({"keys", "revoke", "--id", id, "--redis", redis, "--master-key-file", master}, &out), 0)
      << out;
  const auto revoked_at = std::chrono::steady_clock::now();
  // Right after the revocation the daemon may or may not have it yet; a second later it must.
  ASSERT_EQ(enqueue(), 0);
  std::this_thread::sleep_until(revoked_at + 1s);
  ASSERT_EQ(enqueue(), 0);
  ASSERT_TRUE(OutcomesReach(c, 3)) << c.DaemonLog();
  const auto outcomes = c.ReadStream("sd:outcomes");
  ASSERT_EQ(outcomes.size(), 3u);
  const std::string early = outcomes[1].at("status") + ":" + outcomes[1].at("reason");
  EXPECT_TRUE(early == "submitted:" || early == "rejected:revoked_key") << early;
  EXPECT_EQ(outcomes[2].at("status"), "rejected");
  EXPECT_EQ(outcomes[2].at("reason"), "revoked_key") << outcomes[2].at("detail");
  // The key-file key of the harness keeps working beside the registry.
  ASSERT_EQ(c.Enqueue({"--to", "+4915112345679", "--from", "ACME", "--text", "hi"}), 0);
  ASSERT_TRUE(OutcomesReach(c, 4)) << c.DaemonLog();
  EXPECT_EQ(c.ReadStream("sd:outcomes")[3].at("status"), "submitted");
  const std::string log = c.DaemonLog();
  EXPECT_EQ(log.find(secret), std::string::npos) << "the secret must never be logged";
  // The revoked key's jobs are security decisions: on the audit stream, without the secret.
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:audit") >= 1; }, 10s));
  bool seen = false;
  for (const auto& a : c.ReadStream("sd:audit")) {
    seen = seen || (a.at("reason") == "revoked_key" && a.at("action") == "rejected" &&
                    a.at("kid") == id);
    for (const auto& [k, v] : a) EXPECT_EQ(v.find(secret), std::string::npos) << k;
  }
  EXPECT_TRUE(seen);
  c.StopDaemon();
}

TEST(PolicyEndToEnd, SighupReloadsUnderLoadLoseNoJob) {
  Cluster::Options o;
  o.max_inflight = 256;
  o.extra_config =
      "\n[policy]\nmax_segments = 10\n\n[content]\nrules_file = \"rules.toml\"\n\n"
      "[[limits]]\nname = \"per_key\"\nscope = \"key\"\nrate = 1000000\nburst = 1000000\n"
      "action = \"reject\"\ncapacity = 64\n";
  Cluster c(o);
  const std::string good_rules =
      "[[rule]]\nid = \"crypto\"\naction = \"reject\"\nkeywords = [\"free bitcoin\"]\n";
  const std::string bad_rules = "[[rule]]\nid = \"crypto\"\naction = \"explode\"\n";
  WriteFile(c.dir() + "/rules.toml", good_rules, 0644);
  constexpr int kJobs = 3000;
  ASSERT_EQ(c.Enqueue({"--count", std::to_string(kJobs), "--to-prefix", "+4915100", "--from",
                       "ACME", "--text", "t"}),
            0);
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.DaemonLog().find("ready:") != std::string::npos; }, 30s))
      << c.DaemonLog();
  int hups = 0;
  while (c.StreamLength("sd:outcomes") < kJobs && hups < 200) {
    // Every other reload reads a rules file with an error: the old policy stays.
    WriteFile(c.dir() + "/rules.toml", hups % 2 == 0 ? good_rules : bad_rules, 0644);
    c.daemon()->Signal(SIGHUP);
    ++hups;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(OutcomesReach(c, kJobs)) << c.DaemonLog();
  WriteFile(c.dir() + "/rules.toml", good_rules, 0644);
  c.StopDaemon();
  EXPECT_GE(hups, 2) << "the reloads must land while jobs are in flight";
  ExpectExactlyOneOutcomePerEntry(c);
  for (const auto& out : c.ReadStream("sd:outcomes")) {
    EXPECT_EQ(out.at("status"), "submitted") << out.at("reason") << " " << out.at("detail");
  }
  EXPECT_EQ(c.PendingCount(), 0);
  const std::string log = c.DaemonLog();
  EXPECT_NE(log.find("reload: policy generation"), std::string::npos);
  if (hups >= 2) {
    EXPECT_NE(log.find("reload: keeping the old policy: " + c.dir() + "/rules.toml:3:"),
              std::string::npos)
        << log;
  }
}

}  // namespace
}  // namespace sd::testing
