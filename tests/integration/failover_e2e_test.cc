// A Redis master killed (kill -9) and its replica promoted in its place while the daemon runs
// ([redis] wait_replicas, docs/redis.md "Replication and failover"). The daemon reaches Redis
// through a Unix socket path that is repointed to the promoted replica, as a virtual IP or
// Sentinel-aware DNS name would be, so the same daemon process goes on against the new master.
// Replication is frozen (SIGSTOP of the replica) for a while before the kill, so the master
// holds writes the replica never gets: what a crash of a busy master can cost.
//
// With wait_replicas = 1 nothing the replica lacked had any effect outside Redis: every job
// ends with exactly one outcome and a receipt on the new master, and the SMSC sees at most
// max_unsettled duplicates (the same bound as a daemon kill -9). Without it, the same run
// still ends with one outcome per job (the producer's jobs were replicated), but every job
// sent during the stall is sent again and its first receipt is lost: measured, printed and
// documented, not a bound.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "tests/integration/harness.h"
#include "tests/support/redis_server.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

RedisServerOptions ReplicaOf(int port) {
  RedisServerOptions o;
  o.unix_socket = true;
  o.extra_args = {"--replicaof", "127.0.0.1", std::to_string(port), "--repl-diskless-sync-delay",
                  "0"};
  return o;
}

bool Online(redisContext* master, int replicas) {
  auto* r = static_cast<redisReply*>(redisCommand(master, "INFO replication"));
  int online = 0;
  if (r != nullptr && r->type == REDIS_REPLY_STRING) {
    const std::string info(r->str, r->len);
    for (size_t at = info.find("state=online"); at != std::string::npos;
         at = info.find("state=online", at + 1)) {
      ++online;
    }
  }
  if (r != nullptr) freeReplyObject(r);
  return online >= replicas;
}

// A write the replica acknowledged: past its first sync, it answers WAIT (the master streams
// to a replica that loaded its copy only after that replica's first acknowledgement).
bool Acked(redisContext* master) {
  freeReplyObject(redisCommand(master, "SET sd:test:barrier 1"));
  auto* r = static_cast<redisReply*>(redisCommand(master, "WAIT 1 100"));
  const bool ok = r != nullptr && r->type == REDIS_REPLY_INTEGER && r->integer >= 1;
  if (r != nullptr) freeReplyObject(r);
  return ok;
}

struct RunResult {
  long long jobs = 0;
  long long outcomes = 0;
  long long jobs_without_outcome = 0;
  long long jobs_with_more_outcomes = 0;
  long long jobs_without_receipt = 0;
  long long pending = 0;
  long long duplicate_submits = 0;
  long long unmatched_receipts = 0;
};

// n jobs, a failover after `before` outcomes, replication frozen for `stall` before it.
RunResult RunFailover(const std::string& redis_extra, long long n, long long before,
                      std::chrono::milliseconds stall, int64_t window) {
  Cluster::Options o;
  o.unix_socket = true;
  o.submit_latency_ms = 5;
  o.window = window;
  o.max_inflight = 128;
  o.redis_extra = redis_extra;
  Cluster c(o);
  redisContext* m = c.redis();
  freeReplyObject(redisCommand(m, "CONFIG SET repl-diskless-sync-delay 0"));
  RedisServer replica(ReplicaOf(c.redis_port()));
  EXPECT_TRUE(replica.Start()) << replica.error();
  EXPECT_TRUE(WaitUntil([&] { return Online(m, 1); }, 20s));

  EXPECT_EQ(c.Enqueue({"--count", std::to_string(n), "--to-prefix", "+4915100", "--from", "ACME",
                       "--text", "t"}),
            0);
  // The producer's side of the bargain (docs/jobs.md): its jobs are on a replica.
  freeReplyObject(redisCommand(m, "SET sd:test:barrier 1"));
  auto* w = static_cast<redisReply*>(redisCommand(m, "WAIT 1 10000"));
  EXPECT_TRUE(w != nullptr && w->type == REDIS_REPLY_INTEGER && w->integer == 1);
  if (w != nullptr) freeReplyObject(w);

  c.StartDaemon();
  EXPECT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes") >= before; }, 60s))
      << c.DaemonLog();
  ::kill(replica.pid(), SIGSTOP);  // the replica stops taking the master's writes
  std::this_thread::sleep_for(stall);
  const long long on_master = c.StreamLength("sd:outcomes");
  c.KillRedis();  // kill -9 of the master, with writes the replica never got
  ::kill(replica.pid(), SIGCONT);
  EXPECT_TRUE(replica.Command({"REPLICAOF", "NO", "ONE"}));
  // The address the daemon uses now leads to the promoted replica.
  const std::string sock = c.dir() + "/redis.sock";
  ::unlink(sock.c_str());
  EXPECT_EQ(::symlink(replica.unix_socket().c_str(), sock.c_str()), 0);
  // And the new master gets a replica of its own, as a failover leaves it.
  RedisServer second(ReplicaOf(replica.port()));
  EXPECT_TRUE(second.Start()) << second.error();

  RunResult res;
  res.jobs = n;
  EXPECT_TRUE(WaitUntil([&] { return StreamLength(replica, "sd:outcomes") >= n; }, 120s))
      << "outcomes " << StreamLength(replica, "sd:outcomes") << "\n"
      << c.DaemonLog();
  // Receipts: all of them, or (without wait_replicas, where some are lost) no more coming.
  long long seen = -1;
  auto last_change = std::chrono::steady_clock::now();
  WaitUntil(
      [&] {
        const long long now = StreamLength(replica, "sd:receipts");
        if (now != seen) last_change = std::chrono::steady_clock::now();
        seen = now;
        return now >= n || std::chrono::steady_clock::now() - last_change > 3s;
      },
      120s);
  std::this_thread::sleep_for(1s);  // anything more would show now
  c.StopDaemon();

  std::map<std::string, int> outcomes, receipts;
  for (const auto& e : StreamRead(replica, "sd:outcomes")) ++outcomes[e.Get("entry")];
  for (const auto& e : StreamRead(replica, "sd:receipts")) ++receipts[e.Get("entry")];
  for (const auto& j : StreamRead(replica, "sd:jobs")) {
    if (outcomes[j.id] == 0) ++res.jobs_without_outcome;
    if (outcomes[j.id] > 1) ++res.jobs_with_more_outcomes;
    if (receipts[j.id] < 1) ++res.jobs_without_receipt;
    ++res.outcomes;
  }
  res.outcomes = StreamLength(replica, "sd:outcomes");
  res.pending = PendingCount(replica, "sd:jobs", "smsdispatch");
  res.duplicate_submits = c.SimulatorStats()["submits"] - n;
  res.unmatched_receipts = StreamLength(replica, "sd:receipts:unmatched");
  std::printf(
      "%s: failover after %lld outcomes on the master (replica frozen %lld ms): %lld jobs, "
      "%lld outcomes (%lld jobs with more than one), %lld duplicate submits, %lld receipts "
      "quarantined, %lld jobs without a receipt\n",
      redis_extra.empty() ? "wait_replicas = 0" : "wait_replicas = 1", on_master,
      static_cast<long long>(stall.count()), n, res.outcomes, res.jobs_with_more_outcomes,
      res.duplicate_submits, res.unmatched_receipts, res.jobs_without_receipt);
  return res;
}

TEST(Failover, WithWaitReplicasAMasterCrashLosesNothingAndDuplicatesAtMostTheWindow) {
  const int64_t window = 32;
  const RunResult r =
      RunFailover("wait_replicas = 1\nwait_timeout_ms = 100\n", 4000, 800, 500ms, window);
  EXPECT_EQ(r.jobs_without_outcome, 0);
  EXPECT_EQ(r.jobs_with_more_outcomes, 0);
  EXPECT_EQ(r.outcomes, r.jobs);
  EXPECT_EQ(r.pending, 0);
  EXPECT_EQ(r.jobs_without_receipt, 0);
  EXPECT_GE(r.duplicate_submits, 0);
  EXPECT_LE(r.duplicate_submits, window) << "duplicates beyond max_unsettled (window x binds)";
  RecordProperty("duplicate_submits", static_cast<int>(r.duplicate_submits));
}

// What the docs say a crash costs without it: no job lost (its entry was replicated), but
// what the stall did is done again (submits, some outcomes) and receipts are lost.
TEST(Failover, WithoutWaitReplicasNoJobIsLostButWhatTheReplicaMissedHappensAgain) {
  const RunResult r = RunFailover("", 4000, 800, 500ms, 32);
  EXPECT_EQ(r.jobs_without_outcome, 0);
  EXPECT_EQ(r.pending, 0);
  RecordProperty("jobs_with_more_outcomes", static_cast<int>(r.jobs_with_more_outcomes));
  RecordProperty("duplicate_submits", static_cast<int>(r.duplicate_submits));
  RecordProperty("receipts_quarantined", static_cast<int>(r.unmatched_receipts));
}

// The producer's half (smsdispatch enqueue --wait-replicas): exit 0 only once a replica has
// the jobs; without one, exit 1 saying so (the jobs are on the master).
TEST(Failover, EnqueueWaitsUntilReplicasHaveTheJobs) {
  Cluster c(Cluster::Options{});
  const std::vector<std::string> jobs{"--count", "10",   "--to-prefix", "+4915100",
                                      "--from",  "ACME", "--text",      "t"};
  std::vector<std::string> args = jobs;
  args.insert(args.end(), {"--wait-replicas", "1", "--wait-timeout-ms", "200"});
  std::string out;
  EXPECT_EQ(c.Enqueue(args, &out), 1) << out;
  EXPECT_NE(out.find("0 of 1 replicas had them within 200 ms"), std::string::npos) << out;
  EXPECT_EQ(c.StreamLength("sd:jobs"), 10);

  freeReplyObject(redisCommand(c.redis(), "CONFIG SET repl-diskless-sync-delay 0"));
  RedisServer replica(ReplicaOf(c.redis_port()));
  ASSERT_TRUE(replica.Start()) << replica.error();
  ASSERT_TRUE(WaitUntil([&] { return Online(c.redis(), 1) && Acked(c.redis()); }, 20s));
  EXPECT_EQ(c.Enqueue(args, &out), 0) << out;
  EXPECT_EQ(StreamLength(replica, "sd:jobs"), 20);
  std::vector<std::string> no_replicas = jobs;
  no_replicas.insert(no_replicas.end(), {"--wait-timeout-ms", "200"});
  EXPECT_EQ(c.Enqueue(no_replicas, &out), 2) << out;
  EXPECT_NE(out.find("--wait-timeout-ms goes with --wait-replicas"), std::string::npos) << out;
}

}  // namespace
}  // namespace sd::testing
