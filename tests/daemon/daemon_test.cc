// The daemon in-process (daemon/lib/daemon.h) on a test loop, against a real redis-server and
// the real smsc-sim: it becomes ready, turns a stream entry into an outcome, publishes its
// counters through the structs' ForEach, keeps its policy on a bad reload and takes a good
// one, and shuts down with every handle closed.
#include "daemon/lib/daemon.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "tests/support/redis_server.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/uv_test_loop.h"

namespace sd {
namespace {

using testing::ReadTextFile;
using testing::WriteTextFile;

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start()) << redis_.error();
    testing::SubprocessOptions o;
    o.argv = {
        SD_SMSC_SIM,           "--host",      "127.0.0.1", "--port",     "0",    "--port-file",
        dir_.File("sim.port"), "--system-id", "sim",       "--password", "simpw"};
    o.log_path = dir_.File("sim.log");
    ASSERT_TRUE(sim_.Start(std::move(o))) << sim_.error();
    for (int i = 0; i < 1000 && ReadTextFile(dir_.File("sim.port")).empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polled with a bound
    }
    sim_port_ = std::atoi(ReadTextFile(dir_.File("sim.port")).c_str());
    ASSERT_GT(sim_port_, 0) << ReadTextFile(dir_.File("sim.log"));
    ASSERT_TRUE(WriteTextFile(
        dir_.File("keys.toml"),
        "[[key]]\nid = \"test.v1\"\nsecret = \"" + std::string(64, 'a') + "\"\n", 0600));
    ASSERT_TRUE(WriteTextFile(dir_.File("smpp.password"), "simpw\n", 0600));
    ASSERT_TRUE(WriteTextFile(config_path_, Config(""), 0644));
  }

  std::string Config(const std::string& extra) const {
    return "[daemon]\nconsumer = \"t\"\nstats_interval_ms = 100000\nshutdown_timeout_ms = 5000\n"
           "[redis]\nhost = \"127.0.0.1\"\nport = " +
           std::to_string(redis_.port()) +
           "\nblock_ms = 100\n"
           "[keys]\nfile = \"keys.toml\"\n"
           "[[carrier]]\nname = \"sim\"\nhost = \"127.0.0.1\"\nport = " +
           std::to_string(sim_port_) +
           "\nsystem_id = \"sim\"\npassword_file = \"smpp.password\"\n"
           "reconnect_initial_ms = 50\nreconnect_max_ms = 500\n" +
           extra;
  }

  std::unique_ptr<Daemon> Make() {
    auto loaded = LoadConfig(config_path_);
    if (auto* e = std::get_if<ConfigError>(&loaded)) {
      ADD_FAILURE() << e->ToString();
      return nullptr;
    }
    auto setup = PrepareDaemon(std::get<sd::Config>(std::move(loaded)));
    if (auto* e = std::get_if<ConfigError>(&setup)) {
      ADD_FAILURE() << e->ToString();
      return nullptr;
    }
    return std::make_unique<Daemon>(loop_.get(), std::get<DaemonSetup>(std::move(setup)));
  }

  // Shuts the daemon down, runs the loop until every handle it opened is closed, destroys it
  // and checks that nothing at all is left open on the loop (libraries' handles included).
  void Stop(std::unique_ptr<Daemon>& d) {
    d->Shutdown();
    EXPECT_TRUE(loop_.RunUntil([&] { return d->finished(); }, std::chrono::seconds(30)));
    d.reset();
    EXPECT_EQ(loop_.RunToCompletionAndClose(), 0);
  }

  testing::TempDir dir_{"sd-daemon"};
  std::string config_path_ = dir_.File("smsdispatchd.toml");
  testing::RedisServer redis_;
  testing::Subprocess sim_;
  int sim_port_ = 0;
  testing::UvTestLoop loop_;
};

TEST_F(DaemonTest, ReadyThenAnEntryGetsItsOutcomeThenACleanShutdown) {
  auto d = Make();
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(d->Start(/*handle_signals=*/false));
  ASSERT_TRUE(loop_.RunUntil([&] { return d->ready(); }));
  // An entry without the envelope's fields: the store hands it over, the dispatcher decides
  // `malformed`, the outcome is written.
  ASSERT_NE(redis_.Command({"XADD", "sd:jobs", "*", "junk", "1"}), nullptr);
  ASSERT_TRUE(loop_.RunUntil([&] { return d->dispatcher().stats().rejected == 1; }));
  ASSERT_TRUE(loop_.RunUntil([&] {
    auto r = redis_.Command({"XLEN", "sd:outcomes"});
    return r != nullptr && r->integer == 1;
  }));
  Stop(d);
}

// One ForEach per counters struct feeds the stats hash: every counter shows up, prefixed.
TEST_F(DaemonTest, StatsHashCarriesEveryCounterByName) {
  auto d = Make();
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(d->Start(false));
  ASSERT_TRUE(loop_.RunUntil([&] { return d->ready(); }));
  d->LogStats();
  ASSERT_TRUE(loop_.RunUntil([&] {
    auto r = redis_.Command({"EXISTS", "sd:stats:t"});
    return r != nullptr && r->integer == 1;
  }));
  auto fields = redis_.Command({"HGETALL", "sd:stats:t"});
  ASSERT_NE(fields, nullptr);
  std::set<std::string> names;
  for (size_t i = 0; i + 1 < fields->elements; i += 2) names.insert(fields->element[i]->str);
  for (const char* want :
       {"ts", "inflight", "entries", "submitted", "withheld_at_carrier", "rejected.revoked_key",
        "rejected.malformed", "redis.reclaimed", "redis.defer_corrupt", "carrier.sim.binds_bound",
        "carrier.sim.accepted", "carrier.sim.withheld"}) {
    EXPECT_TRUE(names.count(want)) << want;
  }
  Stop(d);
}

TEST_F(DaemonTest, ABadReloadKeepsThePolicyAGoodOneReplacesIt) {
  auto d = Make();
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(d->Start(false));
  const uint64_t first = d->dispatcher().policy().Load()->generation();
  ASSERT_TRUE(WriteTextFile(config_path_, Config("[[limits]]\nname = \"x\"\n"), 0644));
  d->ReloadPolicy();  // an incomplete limit: refused
  EXPECT_EQ(d->dispatcher().policy().Load()->generation(), first);
  ASSERT_TRUE(WriteTextFile(config_path_, Config("[policy]\nmax_validity_s = 3600\n"), 0644));
  d->ReloadPolicy();
  EXPECT_GT(d->dispatcher().policy().Load()->generation(), first);
  Stop(d);
}

}  // namespace
}  // namespace sd
