// End to end: segment quotas (docs/limits.md "Quotas") set with the CLI while daemons run,
// kept in Redis across a restart, exact for one daemon and never exceeded by three, with one
// audit event at 80 % and one at 100 %, and `quotas reset` starting the day again.
#include <gtest/gtest.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include "tests/integration/harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

// `smsdispatch quotas VERB --redis ... ARGS...`.
int Quotas(Cluster& c, const std::string& verb, std::vector<std::string> args,
           std::string* out = nullptr) {
  args.insert(args.begin(),
              {"quotas", verb, "--redis", "127.0.0.1:" + std::to_string(c.redis_port())});
  return c.Cli(args, out);
}

// Enqueues `n` one-segment jobs with key test.v1 (family "test") to distinct numbers.
void Offer(Cluster& c, int n, const std::string& prefix) {
  std::string out;
  ASSERT_EQ(c.Enqueue({"--count", std::to_string(n), "--to-prefix", prefix, "--from", "ACME",
                       "--text", "code 1234"},
                      &out),
            0)
      << out;
}

struct Tally {
  long long submitted = 0, quota_exceeded = 0, other = 0;
};

Tally Count(Cluster& c) {
  Tally t;
  for (const auto& o : c.ReadStream("sd:outcomes")) {
    if (o.at("status") == "submitted") {
      ++t.submitted;
    } else if (o.at("reason") == "quota_exceeded") {
      ++t.quota_exceeded;
    } else {
      ++t.other;
      ADD_FAILURE() << o.at("status") << " " << o.at("reason") << " " << o.at("detail");
    }
  }
  return t;
}

long long AuditActions(Cluster& c, const std::string& action) {
  long long n = 0;
  for (const auto& e : c.ReadStream("sd:audit")) n += e.count("action") && e.at("action") == action;
  return n;
}

TEST(QuotasE2E, ADailyQuotaIsExactSurvivesARestartAndResets) {
  Cluster::Options o;
  o.acl_user = true;  // the documented least-privilege user (docs/redis.md) runs the quotas
  Cluster c(o);
  std::string out;
  ASSERT_EQ(Quotas(c, "set", {"--key", "test.v1", "--daily", "30"}, &out), 0) << out;
  c.StartDaemon();
  Offer(c, 50, "+4915100");
  ASSERT_TRUE(OutcomesReach(c, 50)) << c.DaemonLog();
  Tally t = Count(c);
  // One daemon holds every leased segment it has not spent: a refusal means none is left.
  EXPECT_EQ(t.submitted, 30);
  EXPECT_EQ(t.quota_exceeded, 20);
  EXPECT_EQ(AuditActions(c, "quota_80"), 1);
  EXPECT_EQ(AuditActions(c, "quota_100"), 1);
  ASSERT_EQ(Quotas(c, "show", {}, &out), 0) << out;
  EXPECT_NE(out.find("30 of 30 (100 %)"), std::string::npos) << out;

  // The count is in Redis: a restarted daemon goes on from it.
  c.StopDaemon();
  c.StartDaemon();
  Offer(c, 5, "+4915101");
  ASSERT_TRUE(OutcomesReach(c, 55)) << c.DaemonLog();
  t = Count(c);
  EXPECT_EQ(t.submitted, 30);
  EXPECT_EQ(t.quota_exceeded, 25);

  // A reset starts the day again (within the daemon's one-second retry of a used-up quota).
  ASSERT_EQ(Quotas(c, "reset", {"--key", "test", "--period", "day"}, &out), 0) << out;
  std::this_thread::sleep_for(1500ms);
  Offer(c, 5, "+4915102");
  ASSERT_TRUE(OutcomesReach(c, 60)) << c.DaemonLog();
  EXPECT_EQ(Count(c).submitted, 35);
  ExpectExactlyOneOutcomePerEntry(c);
  c.StopDaemon();
}

// A budget ([[quota_cost]]): a segment to Germany costs 7 units, to Latvia 3, over any
// carrier; the daily quota of 100 units takes 10 German and 10 Latvian one-segment jobs
// exactly, and the next job is refused with the quota named in units.
TEST(QuotasE2E, WithCostsAQuotaIsABudgetByCountry) {
  Cluster::Options o;
  o.extra_config =
      "[[quota_cost]]\ncountry = \"DE\"\nper_segment = 7\n"
      "[[quota_cost]]\ncountry = \"LV\"\nper_segment = 3\n"
      "[[quota_cost]]\nper_segment = 50\n";
  Cluster c(o);
  std::string out;
  ASSERT_EQ(Quotas(c, "set", {"--key", "test.v1", "--daily", "100"}, &out), 0) << out;
  c.StartDaemon();
  Offer(c, 10, "+4915100");
  ASSERT_TRUE(OutcomesReach(c, 10)) << c.DaemonLog();
  Offer(c, 10, "+37120");
  ASSERT_TRUE(OutcomesReach(c, 20)) << c.DaemonLog();
  Tally t = Count(c);
  EXPECT_EQ(t.submitted, 20);
  EXPECT_EQ(t.quota_exceeded, 0);
  ASSERT_EQ(Quotas(c, "show", {}, &out), 0) << out;
  EXPECT_NE(out.find("100 of 100 (100 %)"), std::string::npos) << out;

  Offer(c, 1, "+4915101");
  ASSERT_TRUE(OutcomesReach(c, 21)) << c.DaemonLog();
  t = Count(c);
  EXPECT_EQ(t.submitted, 20);
  EXPECT_EQ(t.quota_exceeded, 1);
  const auto outcomes = c.ReadStream("sd:outcomes");
  EXPECT_EQ(outcomes.back().at("detail"), "quota 'key:test' (daily 100 units) used up");
  ExpectExactlyOneOutcomePerEntry(c);
  c.StopDaemon();
}

TEST(QuotasE2E, ThreeDaemonsNeverExceedAQuota) {
  Cluster c(Cluster::Options{});
  std::string out;
  ASSERT_EQ(
      Quotas(c, "set", {"--tenant", "shop", "--members", "test,other", "--daily", "100"}, &out), 0)
      << out;
  c.StartDaemon();
  auto b = c.StartPeerDaemon("b");
  auto d = c.StartPeerDaemon("c");
  // All three must be reading before the jobs come, or the first takes them all.
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const char* log : {"/daemon.log", "/daemon-b.log", "/daemon-c.log"}) {
          if (ReadFile(c.dir() + log).find("ready:") == std::string::npos) return false;
        }
        return true;
      },
      30s));
  Offer(c, 300, "+4915110");
  ASSERT_TRUE(OutcomesReach(c, 300)) << c.DaemonLog();
  const Tally t = Count(c);
  std::cout << "[ quotas   ] 300 offered to 3 daemons, quota 100: submitted " << t.submitted
            << ", quota_exceeded " << t.quota_exceeded << "\n";
  EXPECT_LE(t.submitted, 100);  // never more than the quota
  // Each daemon may hold one unspent lease (1 segment: 1 % of 100) when another refuses.
  EXPECT_GE(t.submitted, 100 - 3);
  EXPECT_EQ(t.submitted + t.quota_exceeded, 300);
  ExpectExactlyOneOutcomePerEntry(c);
  for (auto* p : {b.get(), d.get()}) {
    p->Signal(SIGTERM);
    EXPECT_EQ(p->Wait(30s), 0);
  }
  c.StopDaemon();
}

// The CLI refuses what would not be a quota, names the problem, and changes nothing.
TEST(QuotasE2E, TheCliRefusesBadQuotasWithAUsageError) {
  Cluster c(Cluster::Options{});
  std::string out;
  EXPECT_EQ(Quotas(c, "set", {"--daily", "10"}, &out), 2) << out;
  EXPECT_NE(out.find("name one of --key NAME or --tenant NAME"), std::string::npos) << out;
  EXPECT_EQ(Quotas(c, "set", {"--key", "acme"}, &out), 2) << out;
  EXPECT_NE(out.find("give --daily N and/or --monthly N"), std::string::npos) << out;
  EXPECT_EQ(Quotas(c, "set", {"--key", "acme", "--daily", "-5"}, &out), 2) << out;
  EXPECT_EQ(Quotas(c, "set", {"--key", "ac:me", "--daily", "5"}, &out), 2) << out;
  EXPECT_EQ(Quotas(c, "set", {"--key", "acme", "--members", "x", "--daily", "5"}, &out), 2) << out;
  ASSERT_EQ(Quotas(c, "set", {"--tenant", "a", "--members", "k1,k2", "--daily", "5"}, &out), 0)
      << out;
  EXPECT_EQ(Quotas(c, "set", {"--tenant", "b", "--members", "k2", "--daily", "5"}, &out), 2) << out;
  EXPECT_NE(out.find("key 'k2' is already in tenant:a"), std::string::npos) << out;
  EXPECT_EQ(Quotas(c, "reset", {"--key", "acme", "--period", "year"}, &out), 2) << out;
  EXPECT_EQ(Quotas(c, "drop", {}, &out), 2) << out;
  ASSERT_EQ(Quotas(c, "show", {"--json"}, &out), 0) << out;
  EXPECT_NE(out.find("\"subject\":\"tenant:a\""), std::string::npos) << out;
  EXPECT_EQ(out.find("tenant:b"), std::string::npos) << out;
  ASSERT_EQ(Quotas(c, "set", {"--tenant", "a", "--remove"}, &out), 0) << out;
  ASSERT_EQ(Quotas(c, "show", {}, &out), 0) << out;
  EXPECT_NE(out.find("no quotas set"), std::string::npos) << out;
}

}  // namespace
}  // namespace sd::testing
