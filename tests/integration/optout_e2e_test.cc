// Opt-outs across real processes (redis-server, smsc-sim as the SMSC sending what recipients
// write, two smsdispatchd, the CLI; docs/inbound.md):
//   - a recipient's STOP to one number of a sender group refuses, a second later on both
//     daemons, jobs to them from every sender of the group (OTPs too, by default), audited;
//     other senders still reach them; START undoes it;
//   - `optouts import` of a previous provider's list while a paced carrier holds a queue of
//     jobs to those numbers: nothing reaches the SMSC more than a second after the import
//     returned, the rest end opted_out, exactly one outcome each.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "core/envelope.h"
#include "tests/integration/harness.h"
#include "tests/support/temp_dir.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kOptOutConfig =
    "[policy]\nnumber_check = false\n"
    "[optouts]\n"
    "[[optouts.group]]\nname = \"acme\"\nsenders = [\"ACME\", \"+4930555\"]\n";

std::string Field(const Cluster::Fields& f, const std::string& k) {
  auto it = f.find(k);
  return it == f.end() ? std::string() : it->second;
}

// The outcome of the one job sent to `to` from `from` on `stream` (its daemon's outcomes).
std::string OneJob(Cluster& c, const std::string& stream, const std::string& outcomes,
                   const std::string& to, const std::string& from, const std::string& kind) {
  const long long before = c.StreamLength(outcomes);
  std::string out;
  EXPECT_EQ(
      c.Enqueue({"--stream", stream, "--to", to, "--from", from, "--text", "hello", "--kind", kind},
                &out),
      0)
      << out;
  if (!WaitUntil([&] { return c.StreamLength(outcomes) > before; }, 30s)) return "none";
  const auto all = c.ReadStream(outcomes);
  const auto& o = all.back();
  return Field(o, "status") + ":" + Field(o, "reason");
}

TEST(OptOutEndToEnd, AStopRefusesTheGroupOnEveryDaemonWithinASecondAndStartUndoesIt) {
  Cluster::Options o;
  o.acl_user = true;  // the least-privilege user of docs/redis.md
  o.extra_config = kOptOutConfig;
  Cluster c(o);
  c.StartDaemon();
  auto second = c.StartSecondDaemon();
  const std::string kTo = "+4915112345001";
  ASSERT_EQ(OneJob(c, "sd:jobs", "sd:outcomes", kTo, "ACME", "marketing"), "submitted:")
      << c.DaemonLog();
  ASSERT_EQ(OneJob(c, "sd:jobs-b", "sd:outcomes-b", kTo, "ACME", "marketing"), "submitted:");

  // The recipient writes STOP to the group's long number.
  c.InjectMo(R"({"from": "4915112345001", "to": "4930555", "text": "Stop"})"
             "\n");
  ASSERT_TRUE(WaitUntil([&] { return c.SimulatorStats()["mo_acked"] == 1; }, 30s)) << c.DaemonLog();
  std::this_thread::sleep_for(1s);  // the promise: every daemon within a second
  for (const auto& [stream, outcomes] :
       {std::pair{"sd:jobs", "sd:outcomes"}, std::pair{"sd:jobs-b", "sd:outcomes-b"}}) {
    EXPECT_EQ(OneJob(c, stream, outcomes, kTo, "ACME", "marketing"), "rejected:opted_out");
    EXPECT_EQ(OneJob(c, stream, outcomes, kTo, "+4930555", "transactional"), "rejected:opted_out");
    EXPECT_EQ(OneJob(c, stream, outcomes, kTo, "ACME", "otp"), "rejected:opted_out")
        << "OTPs are refused by default";
    EXPECT_EQ(OneJob(c, stream, outcomes, kTo, "OTHERBRAND", "marketing"), "submitted:")
        << "a sender outside the group";
    EXPECT_EQ(OneJob(c, stream, outcomes, "+4915112345002", "ACME", "marketing"), "submitted:");
  }
  // What happened is on the inbound entry and in the audit trail (the number masked).
  const auto inbound = c.ReadStream("sd:inbound");
  ASSERT_EQ(inbound.size(), 1u);
  EXPECT_EQ(Field(inbound[0], "optout"), "stop g:acme");
  int added = 0, refused = 0;
  for (const auto& ev : c.ReadStream("sd:audit")) {
    added += Field(ev, "action") == "optout_added";
    refused += Field(ev, "action") == "rejected" && Field(ev, "reason") == "opted_out";
    EXPECT_EQ(Field(ev, "dest").find("2345001"), std::string::npos) << "masked";
  }
  EXPECT_EQ(added, 1);
  EXPECT_EQ(refused, 6);

  // START, to another number of the group: heard again everywhere.
  c.InjectMo(R"({"from": "+4915112345001", "to": "ACME", "text": "START"})"
             "\n");
  ASSERT_TRUE(WaitUntil([&] { return c.SimulatorStats()["mo_acked"] == 2; }, 30s));
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(OneJob(c, "sd:jobs", "sd:outcomes", kTo, "ACME", "marketing"), "submitted:");
  EXPECT_EQ(OneJob(c, "sd:jobs-b", "sd:outcomes-b", kTo, "ACME", "marketing"), "submitted:");

  // An operator's opt-out for every sender, and its removal.
  const std::string redis = "127.0.0.1:" + std::to_string(c.redis_port());
  std::string out;
  ASSERT_EQ(c.Cli({"optouts", "add", "--number", kTo, "--all", "--note", "asked by phone",
                   "--redis", redis},
                  &out),
            0)
      << out;
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(OneJob(c, "sd:jobs-b", "sd:outcomes-b", kTo, "OTHERBRAND", "otp"),
            "rejected:opted_out");
  ASSERT_EQ(c.Cli({"optouts", "list", "--json", "--redis", redis}, &out), 0) << out;
  const auto listed = nlohmann::json::parse(out);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["scope"], "*");
  EXPECT_EQ(listed[0]["note"], "asked by phone");
  ASSERT_EQ(c.Cli({"optouts", "remove", "--number", kTo, "--all", "--redis", redis}, &out), 0);
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(OneJob(c, "sd:jobs-b", "sd:outcomes-b", kTo, "OTHERBRAND", "otp"), "submitted:");

  second->Signal(SIGTERM);
  EXPECT_EQ(second->Wait(20s), 0);
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
}

// A paced carrier (50/s, a window of 256: about five seconds of jobs in its bind) is sending
// 1,500 jobs when their recipients' opt-outs are imported from a previous provider's list:
// the check where each job goes on the wire stops them, so nothing reaches the SMSC later than
// a second after the import returned.
TEST(OptOutEndToEnd, AnImportStopsJobsAlreadyQueuedForAPacedCarrier) {
  TempDir scratch("sd-optout-e2e");
  const std::string messages = scratch.File("messages.jsonl");
  Cluster::Options o = PacedCarrierOptions(50, messages);
  o.extra_config += kOptOutConfig;
  Cluster c(o);
  constexpr int kJobs = 1500;
  ASSERT_EQ(c.Enqueue({"--count", std::to_string(kJobs), "--to-prefix", "+4915100", "--from",
                       "ACME", "--text", "hello", "--kind", "marketing"}),
            0);
  // The list, as a previous provider exports it: a header, national spacing, some noise.
  std::ostringstream csv;
  csv << "Phone Number,Opted out at\n";
  for (const auto& e : c.ReadStream("sd:jobs")) {
    auto job = DecodeJob(e.at("job"));
    ASSERT_TRUE(job.ok());
    const std::string& d = job->destination;  // "+4915100..."
    csv << "\"+" << d.substr(1, 2) << " " << d.substr(3) << "\",2026-11-30\n";
  }
  WriteFile(scratch.File("previous.csv"), csv.str());
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.SimulatorStats()["submits"] >= 50; }, 60s)) << c.DaemonLog();
  std::string out;
  ASSERT_EQ(c.Cli({"optouts", "import", "--file", scratch.File("previous.csv"), "--group", "acme",
                   "--redis", "127.0.0.1:" + std::to_string(c.redis_port())},
                  &out),
            0)
      << out;
  EXPECT_NE(out.find("imported 1500 new"), std::string::npos) << out;
  const int64_t imported_ms = WallMs();
  ASSERT_TRUE(OutcomesReach(c, kJobs)) << c.DaemonLog();
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
  EXPECT_EQ(MessagesAfter(messages, imported_ms + 1000), 0u)
      << "of " << ReadSimMessages(messages).size() << " sent";
  size_t submitted = 0, refused = 0;
  for (const auto& outcome : c.ReadStream("sd:outcomes")) {
    const std::string s = Field(outcome, "status") + ":" + Field(outcome, "reason");
    submitted += s == "submitted:";
    refused += s == "rejected:opted_out";
  }
  EXPECT_EQ(submitted + refused, static_cast<size_t>(kJobs));
  EXPECT_GT(refused, 500u) << "most were still waiting when the list came";
  // One audit event for the import, not one per number.
  int imports = 0;
  for (const auto& ev : c.ReadStream("sd:audit"))
    imports += Field(ev, "action") == "optouts_imported";
  EXPECT_EQ(imports, 1);
}

}  // namespace
}  // namespace sd::testing
