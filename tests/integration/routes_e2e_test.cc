// Routing through the real daemon, redis-server and two smsc-sim instances as two carriers:
// jobs land on the simulator their prefix routes to, a job with no route gets no_route, a
// carrier rate limit counts per carrier, a killed primary fails over to the backup with
// exactly one outcome per job, and a SIGHUP that changes a route loses no job.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <string>

#include "tests/integration/harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

// The second carrier "b" (the harness' own is "sim"), then `rest` ([[route]]s, ...). Number
// checks are off: routing by prefix needs no number library, and any digits will do.
std::string SecondCarrier(int port, const std::string& rest) {
  return "[[carrier]]\nname = \"b\"\nhost = \"127.0.0.1\"\nport = " + std::to_string(port) +
         "\nsystem_id = \"sim\"\npassword_file = \"smpp.password\"\nwindow = 64\n"
         "response_timeout_ms = 2000\nreconnect_initial_ms = 50\nreconnect_max_ms = 500\n" +
         rest + "[policy]\nnumber_check = false\n";
}

std::map<std::string, int> CountBy(const std::vector<Cluster::Fields>& entries,
                                   const std::string& field) {
  std::map<std::string, int> n;
  for (const auto& e : entries) {
    auto it = e.find(field);
    ++n[it == e.end() ? "" : it->second];
  }
  return n;
}

TEST(RoutesEndToEnd, JobsLandOnTheirRoutedCarrierAndTheCarrierLimitCountsPerCarrier) {
  Cluster::Options o;
  o.receipt_delay_ms = 0;
  Cluster c(o);
  const int b_port = c.StartExtraSimulator("b");
  // At most 10 segments per carrier for the test's lifetime (one a day after the burst).
  c.SetExtraConfig(SecondCarrier(
      b_port,
      "[[route]]\nprefixes = [\"+4915\"]\ncarriers = [\"sim\"]\n"
      "[[route]]\nprefixes = [\"+4917\"]\ncarriers = [\"b\"]\n"
      "[[limits]]\nname = \"per_carrier\"\nscope = \"carrier\"\nrate = 1\nperiod_ms = 86400000\n"
      "burst = 10\n"));
  c.StartDaemon();
  ASSERT_EQ(
      c.Enqueue({"--count", "15", "--to-prefix", "+4915100", "--from", "ACME", "--text", "a"}), 0);
  ASSERT_EQ(
      c.Enqueue({"--count", "15", "--to-prefix", "+4917100", "--from", "ACME", "--text", "b"}), 0);
  ASSERT_EQ(c.Enqueue({"--count", "5", "--to-prefix", "+4420790", "--from", "ACME", "--text", "c"}),
            0);
  ASSERT_TRUE(OutcomesReach(c, 35)) << c.DaemonLog();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:receipts") >= 20; }, 30s)) << c.DaemonLog();
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
  const auto outcomes = c.ReadStream("sd:outcomes");
  std::map<std::string, int> submitted_to;
  std::map<std::string, int> reasons;
  for (const auto& out : outcomes) {
    if (out.at("status") == "submitted") {
      ++submitted_to[out.at("carrier")];
    } else {
      ++reasons[out.at("reason")];
    }
  }
  // Ten per carrier: one bucket each. One bucket for both would make 10 in all; jobs routed
  // by anything but their prefix would put more than 10 on one simulator.
  EXPECT_EQ(submitted_to["sim"], 10);
  EXPECT_EQ(submitted_to["b"], 10);
  EXPECT_EQ(reasons["rate_limited"], 10);
  EXPECT_EQ(reasons["no_route"], 5);
  // The simulators saw exactly their own jobs.
  EXPECT_EQ(c.SimulatorStats()["submits"], 10);
  EXPECT_EQ(c.ExtraSimulatorStats("b")["submits"], 10);
  // Receipts from both carriers matched their jobs, under their carrier's name.
  const auto receipts = c.ReadStream("sd:receipts");
  EXPECT_EQ(receipts.size(), 20u);
  const auto by_carrier = CountBy(receipts, "carrier");
  EXPECT_EQ(by_carrier.count("sim") ? by_carrier.at("sim") : 0, 10);
  EXPECT_EQ(by_carrier.count("b") ? by_carrier.at("b") : 0, 10);
  EXPECT_EQ(c.StreamLength("sd:receipts:unmatched"), 0);
}

TEST(RoutesEndToEnd, WithThePrimaryKilledEveryJobGetsExactlyOneOutcomeViaTheBackup) {
  Cluster::Options o;
  o.submit_latency_ms = 5;  // so jobs are at the primary when it dies
  o.window = 16;
  Cluster c(o);
  const int b_port = c.StartExtraSimulator("b");
  c.SetExtraConfig(
      SecondCarrier(b_port, "[[route]]\nprefixes = [\"+4915\"]\ncarriers = [\"sim\", \"b\"]\n"));
  c.StartDaemon();
  ASSERT_EQ(
      c.Enqueue({"--count", "20", "--to-prefix", "+4915100", "--from", "ACME", "--text", "x"}), 0);
  ASSERT_TRUE(OutcomesReach(c, 20)) << c.DaemonLog();
  for (const auto& out : c.ReadStream("sd:outcomes")) EXPECT_EQ(out.at("carrier"), "sim");
  // 600 more; the primary dies while they are being sent.
  ASSERT_EQ(
      c.Enqueue({"--count", "600", "--to-prefix", "+4915200", "--from", "ACME", "--text", "y"}), 0);
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes") >= 60; }, 60s)) << c.DaemonLog();
  c.KillSimulator();
  ASSERT_TRUE(OutcomesReach(c, 620, 120s)) << c.DaemonLog();
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
  std::map<std::string, int> submitted_to;
  for (const auto& out : c.ReadStream("sd:outcomes")) {
    EXPECT_EQ(out.at("status"), "submitted") << out.at("reason") << " " << out.at("detail");
    ++submitted_to[out.at("carrier")];
  }
  EXPECT_GT(submitted_to["b"], 0) << "the backup took over";
  EXPECT_EQ(submitted_to["sim"] + submitted_to["b"], 620);
  // Every job the backup took was submitted to it (a job the primary took before dying may
  // also have been resent there: a submit whose answer was lost is not known to be sent).
  EXPECT_GE(c.ExtraSimulatorStats("b")["submits"], submitted_to["b"]);
  EXPECT_EQ(c.PendingCount(), 0);
}

TEST(RoutesEndToEnd, ASighupThatChangesARouteIsAppliedWithoutLosingAJob) {
  Cluster::Options o;
  o.submit_latency_ms = 2;
  Cluster c(o);
  const int b_port = c.StartExtraSimulator("b");
  const std::string to_sim = "[[route]]\nprefixes = [\"+4915\"]\ncarriers = [\"sim\"]\n";
  const std::string to_b = "[[route]]\nprefixes = [\"+4915\"]\ncarriers = [\"b\"]\n";
  c.SetExtraConfig(SecondCarrier(b_port, to_sim));
  c.StartDaemon();
  ASSERT_EQ(
      c.Enqueue({"--count", "1000", "--to-prefix", "+4915100", "--from", "ACME", "--text", "x"}),
      0);
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes") >= 100; }, 60s))
      << c.DaemonLog();
  // Change the route while jobs are in flight.
  const std::string config = ReadFile(c.ConfigPath());
  std::string changed = config;
  changed.replace(changed.find(to_sim), to_sim.size(), to_b);
  WriteFile(c.ConfigPath(), changed, 0644);
  c.daemon()->Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(
      [&] { return c.DaemonLog().find("reload: policy generation") != std::string::npos; }, 30s))
      << c.DaemonLog();
  ASSERT_TRUE(OutcomesReach(c, 1000)) << c.DaemonLog();
  // Jobs read after the reload go to the new route's carrier.
  ASSERT_EQ(
      c.Enqueue({"--count", "30", "--to-prefix", "+4915200", "--from", "ACME", "--text", "y"}), 0);
  ASSERT_TRUE(OutcomesReach(c, 1030)) << c.DaemonLog();
  // A reload whose route names a carrier the file does not have is refused; the route stays.
  std::string more = changed;
  more.replace(more.find(to_b), to_b.size(),
               "[[route]]\nprefixes = [\"+4915\"]\ncarriers = [\"nosuch\"]\n");
  WriteFile(c.ConfigPath(), more, 0644);
  c.daemon()->Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(
      [&] { return c.DaemonLog().find("no [[carrier]] is named 'nosuch'") != std::string::npos; },
      30s))
      << c.DaemonLog();
  ASSERT_EQ(
      c.Enqueue({"--count", "10", "--to-prefix", "+4915300", "--from", "ACME", "--text", "z"}), 0);
  ASSERT_TRUE(OutcomesReach(c, 1040)) << c.DaemonLog();
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
  const auto outcomes = c.ReadStream("sd:outcomes");
  std::map<std::string, int> submitted_to;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    EXPECT_EQ(outcomes[i].at("status"), "submitted") << outcomes[i].at("reason");
    ++submitted_to[outcomes[i].at("carrier")];
    if (i >= 1000) {
      EXPECT_EQ(outcomes[i].at("carrier"), "b") << "outcome " << i;
    }
  }
  EXPECT_GE(submitted_to["sim"], 100);
  EXPECT_EQ(submitted_to["sim"] + submitted_to["b"], 1040);
  EXPECT_EQ(c.SimulatorStats()["submits"], submitted_to["sim"]);
  EXPECT_EQ(c.ExtraSimulatorStats("b")["submits"], submitted_to["b"]);
  EXPECT_EQ(c.PendingCount(), 0);
  const std::string log = c.DaemonLog();
  EXPECT_NE(log.find("reload: keeping the old policy: " + c.ConfigPath() + ":"), std::string::npos)
      << log;
}

}  // namespace
}  // namespace sd::testing
