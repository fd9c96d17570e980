// Runtime control of carriers through the real daemons, redis-server and smsc-sim instances
// (docs/operations.md, "Runtime control"): `smsdispatch carriers pause|drain|resume` reaches
// two daemons, a paused carrier's routes fail over and a route with no other carrier waits
// for the resume without losing a job, each change is audited and listed; a SIGHUP reopens
// a changed carrier (its binds drained and bound again) while an unchanged one stays bound,
// adds a carrier, removes it and configures it again, with exactly one outcome per job.
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

std::string SimCarrier(const std::string& name, int port, int window = 64) {
  return "[[carrier]]\nname = \"" + name +
         "\"\nhost = \"127.0.0.1\"\nport = " + std::to_string(port) +
         "\nsystem_id = \"sim\"\npassword_file = \"smpp.password\"\n" +
         "window = " + std::to_string(window) +
         "\nresponse_timeout_ms = 2000\nreconnect_initial_ms = 50\nreconnect_max_ms = 500\n";
}

std::string Route(const std::string& prefix, const std::string& carriers) {
  return "[[route]]\nprefixes = [\"" + prefix + "\"]\ncarriers = [" + carriers + "]\n";
}

constexpr const char* kPolicy = "[policy]\nnumber_check = false\n";

std::map<std::string, int> SubmittedTo(const std::vector<Cluster::Fields>& outcomes) {
  std::map<std::string, int> n;
  for (const auto& o : outcomes) {
    ++n[o.at("status") == "submitted" ? o.at("carrier") : "rejected:" + o.at("reason")];
  }
  return n;
}

std::string Field(redisContext* redis, const std::string& key, const std::string& field) {
  auto* r = static_cast<redisReply*>(redisCommand(redis, "HGET %s %s", key.c_str(), field.c_str()));
  std::string v = r != nullptr && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "";
  freeReplyObject(r);
  return v;
}

// Both daemons' stats hashes say carrier `name` is in `state`.
bool BothReport(Cluster& c, const std::string& name, const std::string& state) {
  return Field(c.redis(), "sd:stats:e2e", "carrier." + name + ".state_" + state) == "1" &&
         Field(c.redis(), "sd:stats:e2e-b", "carrier." + name + ".state_" + state) == "1";
}

class CarrierControlEndToEnd : public ::testing::Test {
 protected:
  CarrierControlEndToEnd() : c_(Opts()) {}
  static Cluster::Options Opts() {
    Cluster::Options o;
    o.receipt_delay_ms = 0;
    o.submit_latency_ms = 10;  // so a reload finds jobs at a carrier
    return o;
  }
  std::string Redis() const { return "127.0.0.1:" + std::to_string(c_.redis_port()); }
  int Carriers(const std::vector<std::string>& args, std::string* out = nullptr) {
    std::vector<std::string> argv{"carriers"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--redis", Redis()});
    return c_.Cli(argv, out);
  }
  int EnqueueTo(const std::string& stream, int count, const std::string& prefix) {
    return c_.Enqueue({"--stream", stream, "--count", std::to_string(count), "--to-prefix", prefix,
                       "--from", "ACME", "--text", "x"});
  }

  Cluster c_;
};

TEST_F(CarrierControlEndToEnd, PauseDrainAndResumeReachEveryDaemonAndLoseNothing) {
  const int b_port = c_.StartExtraSimulator("b");
  c_.SetExtraConfig(SimCarrier("b", b_port) + Route("+4915", "\"sim\", \"b\"") +
                    Route("+4917", "\"sim\"") + kPolicy);
  c_.StartDaemon();
  auto second = c_.StartSecondDaemon();
  ASSERT_TRUE(WaitUntil([&] { return BothReport(c_, "sim", "active"); }, 30s)) << c_.DaemonLog();
  ASSERT_EQ(EnqueueTo("sd:jobs", 10, "+4915100"), 0);
  ASSERT_TRUE(WaitUntil([&] { return c_.StreamLength("sd:outcomes") >= 10; }, 30s));
  EXPECT_EQ(SubmittedTo(c_.ReadStream("sd:outcomes"))["sim"], 10);

  // Pause: both daemons stop sending to sim; +4915 fails over to b.
  std::string out;
  ASSERT_EQ(Carriers({"pause", "sim", "--note", "maintenance window", "--by", "tester"}, &out), 0)
      << out;
  ASSERT_TRUE(WaitUntil([&] { return BothReport(c_, "sim", "paused"); }, 10s)) << c_.DaemonLog();
  const long long sim_before = c_.SimulatorStats()["submits"];
  ASSERT_EQ(EnqueueTo("sd:jobs", 20, "+4915200"), 0);
  ASSERT_EQ(EnqueueTo("sd:jobs-b", 20, "+4915300"), 0);
  // +4917's only carrier is paused: its jobs wait, neither sent nor rejected.
  ASSERT_EQ(EnqueueTo("sd:jobs", 5, "+4917100"), 0);
  ASSERT_TRUE(WaitUntil([&] { return c_.StreamLength("sd:outcomes") >= 30; }, 30s));
  ASSERT_TRUE(WaitUntil([&] { return c_.StreamLength("sd:outcomes-b") >= 20; }, 30s));
  std::this_thread::sleep_for(1500ms);  // time enough for the waiting ones to go, were they sent
  EXPECT_EQ(c_.StreamLength("sd:outcomes"), 30) << "the +4917 jobs wait for their carrier";
  EXPECT_EQ(c_.SimulatorStats()["submits"], sim_before) << "a paused carrier sends nothing";
  EXPECT_EQ(SubmittedTo(c_.ReadStream("sd:outcomes-b"))["b"], 20);

  ASSERT_EQ(Carriers({"list"}, &out), 0) << out;
  EXPECT_NE(out.find("carrier sim: paused since"), std::string::npos) << out;
  EXPECT_NE(out.find("by tester: maintenance window"), std::string::npos) << out;
  EXPECT_NE(out.find("daemon e2e-b"), std::string::npos) << out;
  ASSERT_EQ(Carriers({"list", "--json"}, &out), 0) << out;
  EXPECT_NE(out.find("\"asked\":\"paused\""), std::string::npos) << out;

  // Resume: the waiting jobs go to sim, and so do new ones.
  ASSERT_EQ(Carriers({"resume", "sim"}, &out), 0) << out;
  ASSERT_TRUE(WaitUntil([&] { return c_.StreamLength("sd:outcomes") >= 35; }, 30s))
      << c_.DaemonLog();
  ASSERT_TRUE(WaitUntil([&] { return BothReport(c_, "sim", "active"); }, 10s));
  ASSERT_EQ(EnqueueTo("sd:jobs-b", 10, "+4915400"), 0);
  ASSERT_TRUE(WaitUntil([&] { return c_.StreamLength("sd:outcomes-b") >= 30; }, 30s));

  // Drain: no new jobs to sim on either daemon; it keeps its binds.
  ASSERT_EQ(Carriers({"drain", "sim", "--note", "moving traffic"}, &out), 0) << out;
  ASSERT_TRUE(WaitUntil([&] { return BothReport(c_, "sim", "draining"); }, 10s));
  ASSERT_EQ(EnqueueTo("sd:jobs-b", 10, "+4915500"), 0);
  ASSERT_TRUE(WaitUntil([&] { return c_.StreamLength("sd:outcomes-b") >= 40; }, 30s));
  ASSERT_EQ(Carriers({"resume", "sim"}, &out), 0) << out;

  // A carrier no daemon has is still recorded, with a warning.
  ASSERT_EQ(Carriers({"pause", "nosuch"}, &out), 0) << out;
  EXPECT_NE(out.find("no running daemon reports a carrier 'nosuch'"), std::string::npos) << out;
  EXPECT_EQ(Carriers({"pause"}, &out), 2) << out;
  EXPECT_EQ(Carriers({"halt", "sim"}, &out), 2) << out;

  second->Signal(SIGTERM);
  EXPECT_EQ(second->Wait(30s), 0);
  c_.StopDaemon();
  const auto a = c_.ReadStream("sd:outcomes");
  const auto b = c_.ReadStream("sd:outcomes-b");
  ASSERT_EQ(a.size(), 35u);
  ASSERT_EQ(b.size(), 40u);
  for (size_t i = 10; i < 30; ++i) EXPECT_EQ(a[i].at("carrier"), "b") << "outcome " << i;
  for (size_t i = 30; i < 35; ++i) EXPECT_EQ(a[i].at("carrier"), "sim") << "waited for resume";
  for (size_t i = 20; i < 30; ++i) EXPECT_EQ(b[i].at("carrier"), "sim") << "resumed: " << i;
  for (size_t i = 30; i < 40; ++i) EXPECT_EQ(b[i].at("carrier"), "b") << "draining: " << i;
  for (const auto& o : a) EXPECT_EQ(o.at("status"), "submitted");
  for (const auto& o : b) EXPECT_EQ(o.at("status"), "submitted");
  EXPECT_EQ(c_.PendingCount(), 0);
  // Every change is on the audit stream, with who asked and why.
  std::map<std::string, int> actions;
  for (const auto& e : c_.ReadStream("sd:audit")) ++actions[e.at("action")];
  EXPECT_EQ(actions["carrier_paused"], 2);
  EXPECT_EQ(actions["carrier_draining"], 1);
  EXPECT_EQ(actions["carrier_active"], 2);
  const std::string log = c_.DaemonLog();
  EXPECT_NE(log.find("carrier sim: paused (was active), asked by 'tester': 'maintenance window'"),
            std::string::npos)
      << log;
}

TEST_F(CarrierControlEndToEnd, ASighupReopensAChangedCarrierAndKeepsTheOthersBound) {
  const int b_port = c_.StartExtraSimulator("b");
  const int c_port = c_.StartExtraSimulator("c");
  const std::string routes = Route("+4915", "\"sim\"") + Route("+4917", "\"b\"");
  // b's window of 4 at 10 ms a submit keeps its 600 jobs going for over a second.
  c_.SetExtraConfig(SimCarrier("b", b_port, 4) + routes + kPolicy);
  c_.StartDaemon();
  ASSERT_EQ(EnqueueTo("sd:jobs", 600, "+4917100"), 0);
  ASSERT_EQ(EnqueueTo("sd:jobs", 200, "+4915100"), 0);
  ASSERT_TRUE(WaitUntil([&] { return c_.StreamLength("sd:outcomes") >= 50; }, 60s))
      << c_.DaemonLog();
  // b's window changes (it reopens) and carrier c comes in with a route, while jobs flow.
  const std::string base = ReadFile(c_.ConfigPath());
  std::string next = base;
  next.replace(next.find(SimCarrier("b", b_port, 4)), SimCarrier("b", b_port, 4).size(),
               SimCarrier("b", b_port, 32) + SimCarrier("c", c_port));
  next.replace(next.find(routes), routes.size(), routes + Route("+4930", "\"c\""));
  WriteFile(c_.ConfigPath(), next, 0644);
  c_.daemon()->Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(
      [&] { return c_.DaemonLog().find("carrier b: reopened") != std::string::npos; }, 30s))
      << c_.DaemonLog();
  ASSERT_TRUE(WaitUntil([&] { return c_.StreamLength("sd:outcomes") >= 800; }, 120s))
      << c_.DaemonLog();
  ASSERT_EQ(EnqueueTo("sd:jobs", 10, "+4930100"), 0);
  ASSERT_EQ(EnqueueTo("sd:jobs", 10, "+4917200"), 0);
  ASSERT_TRUE(WaitUntil([&] { return c_.StreamLength("sd:outcomes") >= 820; }, 60s))
      << c_.DaemonLog();
  EXPECT_EQ(c_.ExtraSimulatorStats("b")["binds"], 2) << "b was bound again";
  EXPECT_EQ(c_.SimulatorStats()["binds"], 1) << "the unchanged carrier stayed bound";
  EXPECT_EQ(c_.ExtraSimulatorStats("c")["submits"], 10);

  // c goes again (its route too): it finishes what it holds and closes; +4930 is no_route.
  // b keeps its new settings, so it stays bound.
  std::string without_c = next;
  without_c.erase(without_c.find(SimCarrier("c", c_port)), SimCarrier("c", c_port).size());
  without_c.erase(without_c.find(Route("+4930", "\"c\"")), Route("+4930", "\"c\"").size());
  WriteFile(c_.ConfigPath(), without_c, 0644);
  c_.daemon()->Signal(SIGHUP);
  ASSERT_TRUE(
      WaitUntil([&] { return c_.DaemonLog().find("carrier c: closed") != std::string::npos; }, 30s))
      << c_.DaemonLog();
  ASSERT_EQ(EnqueueTo("sd:jobs", 5, "+4930200"), 0);
  ASSERT_TRUE(WaitUntil([&] { return c_.StreamLength("sd:outcomes") >= 825; }, 60s));
  // And back: the closed carrier is opened again in its old slot.
  WriteFile(c_.ConfigPath(), next, 0644);
  c_.daemon()->Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(
      [&] { return c_.DaemonLog().find("carrier c: reopened") != std::string::npos; }, 30s))
      << c_.DaemonLog();
  ASSERT_EQ(EnqueueTo("sd:jobs", 5, "+4930300"), 0);
  ASSERT_TRUE(WaitUntil([&] { return c_.StreamLength("sd:outcomes") >= 830; }, 60s))
      << c_.DaemonLog();
  c_.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c_);
  const auto to = SubmittedTo(c_.ReadStream("sd:outcomes"));
  EXPECT_EQ(to.at("sim"), 200);
  EXPECT_EQ(to.at("b"), 610);
  EXPECT_EQ(to.at("c"), 15);
  EXPECT_EQ(c_.ExtraSimulatorStats("c")["binds"], 2) << "bound, closed, bound again";
  EXPECT_EQ(to.at("rejected:no_route"), 5);
  EXPECT_EQ(c_.SimulatorStats()["submits"], 200);
  EXPECT_EQ(c_.ExtraSimulatorStats("b")["binds"], 2) << "b was bound only once more";
  EXPECT_EQ(c_.PendingCount(), 0);
  const std::string log = c_.DaemonLog();
  EXPECT_NE(log.find("reload: carrier b changed"), std::string::npos) << log;
  EXPECT_NE(log.find("reload: carrier c added"), std::string::npos) << log;
  EXPECT_NE(log.find("reload: carrier c removed"), std::string::npos) << log;
  EXPECT_NE(log.find("reload: carrier c configured again"), std::string::npos) << log;
}

}  // namespace
}  // namespace sd::testing
