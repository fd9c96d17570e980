// Producers of a sharded deployment ([redis] shards, docs/jobs.md §1 "Shards") against the real
// daemon, on one redis-server holding three shards' names: the CLI and the Python library put
// each job on the shard the daemon expects (every job is submitted), and a job placed on
// another shard's stream is refused as wrong_shard with nothing sent. (The Node library checks
// the same rule against tests/vectors/shards.json; the multi-master fleet is
// sharded_cluster_e2e_test.cc.)
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/shard_rule.h"
#include "tests/integration/harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

// The Python library (clients/python) as a producer would use it, and one job put by hand on
// the shard after its own.
constexpr char kProducer[] = R"(
import sys, tomllib, redis
sys.path.insert(0, sys.argv[1] + "/clients/python")
from smsdispatch import RedisProducer, new_job, job_shard, shard_name
with open(sys.argv[2] + "/keys.toml", "rb") as f:
    key = tomllib.load(f)["key"][0]
r = redis.Redis(port=int(sys.argv[3]))
p = RedisProducer(r, key["id"], bytes.fromhex(key["secret"]), stream="sd:{0}:jobs", shards=3)
for i in range(30):
    p.send("+49151200%05d" % i, "ACME", "from python", "transactional")
job = new_job("+4915130000000", "ACME", "misplaced", "transactional", job_id="misplaced-1")
r.xadd(shard_name("sd:{0}:jobs", (job_shard("misplaced-1", 3) + 1) % 3), p.entry(job))
)";

std::string Name(uint32_t shard, const std::string& what) {
  return ShardName("sd:{0}:" + what, shard);
}

TEST(ShardedProducersE2E, TheCliAndThePythonLibraryFollowTheDaemonsShardRule) {
  Cluster::Options o;
  o.redis_extra = std::string(kTaggedRedisNames) + "shards = 3\n";
  Cluster c(o);
  c.StartDaemon();
  std::string out;
  ASSERT_EQ(c.Cli({"enqueue", "--redis", "127.0.0.1:" + std::to_string(c.redis_port()), "--shards",
                   "3", "--stream", "sd:{0}:jobs", "--key-file", c.dir() + "/keys.toml", "--key-id",
                   "test.v1", "--count", "60", "--to-prefix", "+4915100", "--from", "ACME",
                   "--text", "from the cli"},
                  &out),
            0)
      << out;
  WriteFile(c.dir() + "/produce.py", kProducer);
  Process py({"/usr/bin/python3", c.dir() + "/produce.py", SD_SOURCE_DIR, c.dir(),
              std::to_string(c.redis_port())},
             c.dir() + "/python.out");
  ASSERT_EQ(py.Wait(60s), 0) << ReadFile(c.dir() + "/python.out");

  auto total = [&](const std::string& what) {
    long long n = 0;
    for (uint32_t s = 0; s < 3; ++s) n += c.StreamLength(Name(s, what));
    return n;
  };
  ASSERT_TRUE(WaitUntil([&] { return total("outcomes") >= 91 && total("receipts") >= 90; }, 60s))
      << c.DaemonLog();
  std::map<std::string, int> reasons;
  for (uint32_t s = 0; s < 3; ++s) {
    EXPECT_GT(c.StreamLength(Name(s, "jobs")), 10) << "shard " << s;
    for (const auto& f : c.ReadStream(Name(s, "outcomes"))) {
      ++reasons[f.at("status") == "submitted" ? "submitted" : f.at("reason")];
      if (f.at("job") == "misplaced-1") {
        EXPECT_EQ(f.at("reason"), "wrong_shard");
      }
    }
  }
  EXPECT_EQ(reasons["submitted"], 90);
  EXPECT_EQ(reasons["wrong_shard"], 1);
  EXPECT_EQ(c.SimulatorStats()["submits"], 90);  // the misplaced job never reached the SMSC
  c.StopDaemon();
}

}  // namespace
}  // namespace sd::testing
