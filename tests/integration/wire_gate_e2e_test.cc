// The check where a job goes on the wire, across real processes (redis-server, smsc-sim,
// smsdispatchd, the CLI): a paced carrier holds a full window of jobs in its bind, and
//   - a key revoked meanwhile sends nothing that reaches the SMSC more than ~1 s after
//     `keys revoke` returned, its jobs ending `revoked_key` (audited);
//   - jobs whose `expires` passes while they wait never reach the SMSC after it, and end
//     `expired`.
// The simulator's messages file says when each message arrived (received_ms, wall clock).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/envelope.h"
#include "tests/integration/harness.h"
#include "tests/support/temp_dir.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

// Write to arrival at the simulator on loopback: the daemon checks a job in the same loop turn
// as it writes it, so anything later than this after the bound was written after it. Generous
// for a loaded machine; the failures this guards against are seconds late.
constexpr int64_t kTransitSlackMs = 500;

size_t Lines(const std::string& path) {
  const std::string s = ReadFile(path);
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// The jobs the stream holds, by entry id, decoded from their signed bytes.
std::map<std::string, Job> JobsByEntry(Cluster& c) {
  std::map<std::string, Job> jobs;
  for (const auto& e : c.ReadStream("sd:jobs")) {
    auto job = DecodeJob(e.at("job"));
    EXPECT_TRUE(job.ok()) << e.at("_id");
    if (job.ok()) jobs[e.at("_id")] = std::move(job).value();
  }
  return jobs;
}

std::string Field(const Cluster::Fields& f, const std::string& k) {
  auto it = f.find(k);
  return it == f.end() ? std::string() : it->second;
}

std::string Unplussed(const std::string& e164) {
  return e164.empty() || e164[0] != '+' ? e164 : e164.substr(1);
}

// A paced carrier (50/s) with a window of 256 holds ~5 s of jobs in its bind. The key is
// revoked once sending is under way; after that, nothing of it reaches the SMSC later than
// the revocation latency (docs/keys.md: within a second).
TEST(WireGateEndToEnd, ARevokedKeySendsNothingASecondAfterRevokeFromAFullBindQueue) {
  TempDir scratch("sd-gate-e2e");
  const std::string messages = scratch.File("messages.jsonl");
  Cluster::Options o = PacedCarrierOptions(50, messages);
  o.keys_extra = "registry = \"redis\"\nmaster_key_file = \"master.key\"\n";
  Cluster c(o);
  const std::string redis = "127.0.0.1:" + std::to_string(c.redis_port());
  const std::string master = c.dir() + "/master.key";
  WriteFile(master, std::string(64, 'd') + "\n");
  std::string out;
  ASSERT_EQ(
      c.Cli({"keys", "create", "--name", "acme", "--redis", redis, "--master-key-file", master},
            &out),
      0)
      << out;
  const std::string id = CliField(out, "id");
  WriteFile(c.dir() + "/producer.toml",
            "[[key]]\nid = \"" + id + "\"\nsecret = \"" + CliField(out, "secret_hex") + "\"\n");
  constexpr int kJobs = 1500;
  ASSERT_EQ(c.Cli({"enqueue", "--redis", redis, "--key-file", c.dir() + "/producer.toml",
                   "--key-id", id, "--count", std::to_string(kJobs), "--to-prefix", "+4915100",
                   "--from", "ACME", "--text", "hello"},
                  &out),
            0)
      << out;
  c.StartDaemon();
  // A second's worth sent: the bind's queue is full (the window is five seconds of pace).
  ASSERT_TRUE(WaitUntil([&] { return Lines(messages) >= 50; }, 60s)) << c.DaemonLog();
  ASSERT_EQ(
      c.Cli({"keys", "revoke", "--id", id, "--redis", redis, "--master-key-file", master}, &out), 0)
      << out;
  const int64_t revoked_ms = WallMs();

  ASSERT_TRUE(OutcomesReach(c, kJobs)) << c.DaemonLog();
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
  const std::vector<SimMessage> sent = ReadSimMessages(messages);
  int64_t last_ms = 0;
  for (const SimMessage& m : sent) last_ms = std::max(last_ms, m.received_ms);
  size_t late = 0;
  for (const SimMessage& m : sent) late += m.received_ms > revoked_ms + 1000;
  EXPECT_EQ(late, 0u) << "of " << sent.size() << " messages; the last arrived "
                      << last_ms - revoked_ms << " ms after the revocation";
  size_t submitted = 0, revoked = 0;
  for (const auto& outcome : c.ReadStream("sd:outcomes")) {
    const std::string s = Field(outcome, "status") + ":" + Field(outcome, "reason");
    if (s == "submitted:") {
      ++submitted;
    } else {
      EXPECT_EQ(s, "rejected:revoked_key") << Field(outcome, "detail");
      ++revoked;
    }
  }
  EXPECT_EQ(submitted, sent.size()) << "every message the SMSC got is a submitted outcome";
  EXPECT_GT(revoked, 0u);
  // Every refusal of the key is on the audit stream, at decision or at the wire alike.
  ASSERT_TRUE(WaitUntil(
      [&] { return c.StreamLength("sd:audit") >= static_cast<long long>(revoked); }, 10s));
  size_t audited = 0;
  for (const auto& a : c.ReadStream("sd:audit")) audited += Field(a, "reason") == "revoked_key";
  EXPECT_EQ(audited, revoked);
}

// A paced carrier (20/s) and 600 jobs valid for 5 s: about a hundred can go in time. The rest
// wait in the dispatcher and in the bind's queue past their expiry, and none of them may reach
// the SMSC after it (docs/jobs.md: no submit is attempted after `expires`).
TEST(WireGateEndToEnd, NoJobReachesTheSmscAfterItsExpiry) {
  TempDir scratch("sd-gate-e2e");
  const std::string messages = scratch.File("messages.jsonl");
  Cluster c(PacedCarrierOptions(20, messages));
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.DaemonLog().find("ready:") != std::string::npos; }, 30s))
      << c.DaemonLog();
  constexpr int kJobs = 600;
  ASSERT_EQ(c.Enqueue({"--count", std::to_string(kJobs), "--to-prefix", "+4915100", "--from",
                       "ACME", "--text", "hello", "--ttl-s", "5"}),
            0);
  ASSERT_TRUE(OutcomesReach(c, kJobs)) << c.DaemonLog();
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);

  const std::map<std::string, Job> jobs = JobsByEntry(c);
  ASSERT_EQ(jobs.size(), static_cast<size_t>(kJobs));
  std::map<std::string, int64_t> expires_by_dest;
  for (const auto& [entry, job] : jobs)
    expires_by_dest[Unplussed(job.destination)] = job.expires_ms;
  const std::vector<SimMessage> sent = ReadSimMessages(messages);
  std::set<std::string> sent_dests;
  int64_t latest = INT64_MIN;  // arrival minus expiry, the largest
  size_t late = 0;
  for (const SimMessage& m : sent) {
    sent_dests.insert(m.dest);
    ASSERT_EQ(expires_by_dest.count(m.dest), 1u) << m.dest;
    const int64_t after = m.received_ms - expires_by_dest[m.dest];
    latest = std::max(latest, after);
    late += after > kTransitSlackMs;
  }
  EXPECT_EQ(late, 0u) << "of " << sent.size() << " messages; the last arrived " << latest
                      << " ms after its job's expiry";
  size_t expired = 0;
  for (const auto& outcome : c.ReadStream("sd:outcomes")) {
    const Job& job = jobs.at(outcome.at("entry"));
    const bool reached = sent_dests.count(Unplussed(job.destination)) > 0;
    if (Field(outcome, "status") == "submitted") {
      EXPECT_TRUE(reached) << job.destination;
      continue;
    }
    EXPECT_EQ(Field(outcome, "reason"), "expired") << Field(outcome, "detail");
    EXPECT_FALSE(reached) << "an expired job reached the SMSC: " << job.destination;
    ++expired;
  }
  EXPECT_GT(expired, 0u);
  EXPECT_EQ(expired + sent.size(), static_cast<size_t>(kJobs));
}

}  // namespace
}  // namespace sd::testing
