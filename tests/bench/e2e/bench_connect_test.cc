// smsdispatch-bench against a redis-server it did not start (--redis, --redis-socket): it
// refuses when the daemon's or its own keys are there and touches nothing; on a server
// without them it runs, and afterwards only what was there before is left; with --reuse it
// runs alongside such keys and deletes none of them. Also the usage errors of --duration.
// A real redis-server, the real tool, daemon and simulator (no timing assertions).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/redis_server.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace sd::bench {
namespace {

using sd::testing::RedisServer;
using sd::testing::RedisServerOptions;
using sd::testing::Subprocess;
using sd::testing::TempDir;

struct Ran {
  int status = -1;
  std::string output;  // stdout and stderr
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the tool to completion (bounded: a few hundred jobs take seconds; 120 s is a hang).
Ran RunBench(const TempDir& dir, std::vector<std::string> args) {
  Ran ran;
  args.insert(args.begin(), SD_BENCH_BIN);
  const std::string log = dir.path() + "/bench.log";
  std::filesystem::remove(log);
  Subprocess p;
  if (!p.Start({args, log, dir.path(), {}})) {
    ran.output = p.error();
    return ran;
  }
  auto st = p.Wait(std::chrono::seconds(120));
  if (!st) {
    p.Kill();
    ran.output = "did not finish: " + Slurp(log);
    return ran;
  }
  ran.status = *st;
  ran.output = Slurp(log);
  return ran;
}

std::set<std::string> Keys(RedisServer& redis) {
  std::set<std::string> keys;
  auto r = redis.Command({"KEYS", "*"});  // a test server with a handful of keys
  if (r && r->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < r->elements; ++i) keys.emplace(r->element[i]->str, r->element[i]->len);
  }
  return keys;
}

std::string Address(const RedisServer& redis) {
  return redis.host() + ":" + std::to_string(redis.port());
}

// The bench.json the run wrote under dir/results/<stamp>/.
nlohmann::json Report(const TempDir& dir) {
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path() + "/results")) {
    if (e.path().filename() == "bench.json") return nlohmann::json::parse(Slurp(e.path().string()));
  }
  return {};
}

class BenchConnect : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.Start()) << redis_.error(); }
  TempDir dir_{"sd-bench-connect"};
  RedisServer redis_;
};

TEST_F(BenchConnect, RefusesWhenOurKeysExistNamesThemAndTouchesNothing) {
  ASSERT_FALSE(testing::StreamAdd(redis_, "sd:jobs", {{"someone", "else's job"}}).empty());
  ASSERT_TRUE(redis_.Command({"SET", "sd:idem:x", "1"}));
  ASSERT_TRUE(redis_.Command({"SET", "app:data", "keep"}));
  const auto before = Keys(redis_);

  const Ran ran = RunBench(dir_, {"--redis", Address(redis_), "--jobs", "50", "--quiet"});
  EXPECT_EQ(ran.status, 2) << ran.output;
  EXPECT_NE(ran.output.find("sd:jobs"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("sd:idem:x"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("--reuse"), std::string::npos) << ran.output;
  EXPECT_EQ(Keys(redis_), before);
  EXPECT_EQ(testing::StreamLength(redis_, "sd:jobs"), 1);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/results"));
}

TEST_F(BenchConnect, RunsOnAServerWithoutOurKeysAndLeavesOnlyWhatWasThere) {
  ASSERT_TRUE(redis_.Command({"SET", "app:data", "keep"}));
  const Ran ran = RunBench(dir_, {"--redis", Address(redis_), "--jobs", "200", "--rate",
                                  "1000,2000", "--quiet", "--results", "results"});
  ASSERT_EQ(ran.status, 0) << ran.output;
  EXPECT_EQ(Keys(redis_), std::set<std::string>{"app:data"});
  const nlohmann::json j = Report(dir_);
  ASSERT_TRUE(j.is_object()) << ran.output;
  EXPECT_EQ(j["parameters"]["redis"], "connect tcp");
  EXPECT_EQ(j["redis_ceiling"]["jobs"], 200);
  ASSERT_EQ(j["runs"].size(), 2u);
  for (const auto& run : j["runs"]) {
    EXPECT_EQ(run["outcomes"], 200);
    EXPECT_EQ(run["receipts"], 200);
    // Redis CPU comes from INFO cpu: the server is not this tool's child.
    EXPECT_GT(run["usage"]["redis-server"]["cpu_seconds"].get<double>(), 0);
  }
}

TEST_F(BenchConnect, ReuseRunsAlongsideOurKeysAndDeletesNoneOfThem) {
  ASSERT_TRUE(redis_.Command({"HSET", "sd:keep", "field", "value"}));
  const Ran ran = RunBench(dir_, {"--redis", Address(redis_), "--reuse", "--jobs", "200", "--quiet",
                                  "--results", "results"});
  ASSERT_EQ(ran.status, 0) << ran.output;
  EXPECT_EQ(Keys(redis_), std::set<std::string>{"sd:keep"});
  auto v = redis_.Command({"HGET", "sd:keep", "field"});
  ASSERT_TRUE(v && v->type == REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(v->str, v->len), "value");
  EXPECT_EQ(Report(dir_)["runs"][0]["outcomes"], 200);
}

TEST(BenchConnectSocket, OverAUnixSocket) {
  RedisServerOptions options;
  options.unix_socket = true;
  RedisServer redis(options);
  ASSERT_TRUE(redis.Start()) << redis.error();
  TempDir dir("sd-bench-socket");
  const Ran ran = RunBench(dir, {"--redis-socket", redis.unix_socket(), "--jobs", "200", "--quiet",
                                 "--results", "results"});
  ASSERT_EQ(ran.status, 0) << ran.output;
  EXPECT_TRUE(Keys(redis).empty());
  const nlohmann::json j = Report(dir);
  EXPECT_EQ(j["parameters"]["redis"], "connect unix");
  EXPECT_EQ(j["runs"][0]["outcomes"], 200);
}

TEST(BenchUsage, ClearErrorsForContradictoryOptions) {
  TempDir dir("sd-bench-usage");
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--jobs", "10", "--duration", "2"}, "--jobs excludes --duration"},
      {{"--duration", "0"}, "--duration: Value 0 not in range"},
      {{"--redis", "127.0.0.1"}, "HOST:PORT"},
      {{"--redis", "127.0.0.1:1", "--redis-socket", "/x"}, "--redis excludes --redis-socket"},
      {{"--redis", "127.0.0.1:1", "--aof"}, "--aof excludes --redis"},
      {{"--reuse"}, "only applies"},
      {{"--daemons", "0"}, "--daemons: Value 0 not in range 1 to 16"},
      {{"--jobs", "many"}, "Could not convert: --jobs = many"},
  };
  for (const Case& c : cases) {
    const Ran ran = RunBench(dir, c.args);
    EXPECT_EQ(ran.status, 2) << c.args[0] << ": " << ran.output;
    EXPECT_NE(ran.output.find(c.says), std::string::npos) << c.args[0] << ": " << ran.output;
  }
}

}  // namespace
}  // namespace sd::bench
