// The three reports of the daemon's counters (systemd STATUS, the log lines, the stats hash)
// read one set of objects: a Dispatcher over fake ports that has rejected a job, and a real
// ShardedJobStore, SmppCarrier and HttpCarrier that were never started (their counters are all
// zero, their names are what operators grep for).
#include "daemon/lib/stats_report.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "adapters/crypto/openssl_mac.h"
#include "tests/daemon/dispatcher_fakes.h"
#include "tests/support/uv_test_loop.h"

namespace sd {
namespace {

using namespace testing_fakes;  // NOLINT(google-build-using-namespace): test-only fakes

class StatsReportTest : public ::testing::Test {
 protected:
  StatsReportTest() : clock_(kNow) {
    auto keys = std::make_shared<KeyRing>();
    EXPECT_TRUE(keys->Add(SigningKey{"k.v1", kSecret}));
    DispatcherOptions opts;
    opts.decision.stream = kStream;
    dispatcher_ = std::make_unique<Dispatcher>(fake_store_, fake_carrier_, mac_, clock_, opts);
    dispatcher_->SetKeys(keys);
    dispatcher_->Start();
    redis::RedisStoreOptions store_options;
    store_options.endpoint.port = 1;  // never started: nothing connects
    store_ = std::make_unique<redis::ShardedJobStore>(loop_.get(), store_options, 1);
    smpp::SmppCarrierOptions carrier_options;
    carrier_options.name = "acme";
    carrier_options.port = 1;
    carriers_.push_back(std::make_unique<smpp::SmppCarrier>(loop_.get(), carrier_options));
    http::HttpCarrierOptions http_options;
    http_options.name = "rest";
    http_carriers_.push_back(std::make_unique<http::HttpCarrier>(loop_.get(), http_options));
  }
  ~StatsReportTest() override {
    bool store_closed = false;
    bool carrier_closed = false;
    bool http_closed = false;
    store_->Close(0, [&] { store_closed = true; });
    carriers_[0]->Close([&] { carrier_closed = true; });
    http_carriers_[0]->Close([&] { http_closed = true; });
    EXPECT_TRUE(loop_.RunUntil([&] { return store_closed && carrier_closed && http_closed; }));
  }

  // One job signed with the wrong secret: rejected for its signature, never submitted.
  void RejectOneForItsSignature() {
    fake_store_.handler({SignedEntry(mac_, 1, "j1", "+4915112345678", std::string(32, 'x'),
                                     kNow + 60'000)});
    fake_store_.Flush();
  }

  StatsSources Sources() const {
    return {dispatcher_.get(), store_.get(), &carriers_, &http_carriers_};
  }

  testing::UvTestLoop loop_;
  OpenSslMac mac_;
  ManualClock clock_;
  FakeStore fake_store_;
  FakeCarrier fake_carrier_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<redis::ShardedJobStore> store_;
  std::vector<std::unique_ptr<smpp::SmppCarrier>> carriers_;
  std::vector<std::unique_ptr<http::HttpCarrier>> http_carriers_;
};

TEST_F(StatsReportTest, StatusLineCountsRejectionsCarriersAndRedisState) {
  RejectOneForItsSignature();
  EXPECT_EQ(StatusLine(Sources()),
            "submitted 0, rejected 1, in flight 0, carriers up 1/2, redis disconnected");
}

TEST_F(StatsReportTest, LogLinesNameEachSourceAndOnlyTheReasonsSeen) {
  const std::vector<std::string> before = StatsLogLines(Sources());
  ASSERT_EQ(before.size(), 4u) << "no reason line while nothing was rejected";
  RejectOneForItsSignature();
  const std::vector<std::string> lines = StatsLogLines(Sources());
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].rfind("stats: inflight=0 entries=1 ", 0), 0u) << lines[0];
  EXPECT_EQ(lines[0].find("rejected."), std::string::npos) << "reasons get a line of their own";
  EXPECT_EQ(lines[1].rfind("stats: redis ", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("stats: carrier acme binds=0/1 ", 0), 0u) << lines[2];
  EXPECT_EQ(lines[3].rfind("stats: carrier rest http held=0 submits=0 ", 0), 0u) << lines[3];
  EXPECT_EQ(lines[4], "stats: rejected by reason: bad_signature=1");
}

TEST_F(StatsReportTest, HashHasEveryCounterOfEverySourceOnceWithTheLogLinesValues) {
  RejectOneForItsSignature();
  const std::vector<std::string> f = StatsHashFields(Sources(), 1234);
  ASSERT_EQ(f.size() % 2, 0u);
  ASSERT_GE(f.size(), 4u);
  EXPECT_EQ(f[0], "ts");
  EXPECT_EQ(f[1], "1234");
  std::map<std::string, std::string> hash;
  for (size_t i = 0; i < f.size(); i += 2) {
    EXPECT_TRUE(hash.emplace(f[i], f[i + 1]).second) << "field twice: " << f[i];
  }
  EXPECT_EQ(hash["rejected"], "1");
  EXPECT_EQ(hash["rejected.bad_signature"], "1");
  EXPECT_EQ(hash["rejected.rate_limited"], "0") << "every reason is listed, zeros included";
  EXPECT_EQ(hash["carrier.acme.binds_bound"], "0");
  EXPECT_EQ(hash["carrier.rest.held"], "0");
  EXPECT_EQ(hash["carrier.rest.connections"], "0");
  // Every "name=value" of the log lines is in the hash under its source's prefix, same value.
  const std::vector<std::string> lines = StatsLogLines(Sources());
  const std::vector<std::pair<std::string, std::string>> prefix_of_line = {
      {"", lines[0]}, {"redis.", lines[1]}, {"carrier.acme.", lines[2]}, {"carrier.rest.", lines[3]}};
  size_t checked = 0;
  for (const auto& [prefix, line] : prefix_of_line) {
    size_t pos = line.find(' ', line.find(' ') + 1);  // after "stats: <first word>"
    if (prefix == "carrier.acme.") pos = line.find(' ', line.find("binds="));
    if (prefix == "carrier.rest.") pos = line.find(" held=");
    while (pos != std::string::npos) {
      const size_t eq = line.find('=', pos);
      const size_t end = line.find(' ', pos + 1);
      const std::string name = line.substr(pos + 1, eq - pos - 1);
      const std::string value = line.substr(eq + 1, end == std::string::npos ? end : end - eq - 1);
      EXPECT_EQ(hash.count(prefix + name), 1u) << prefix + name;
      EXPECT_EQ(hash[prefix + name], value) << prefix + name;
      ++checked;
      pos = end;
    }
  }
  EXPECT_GT(checked, 20u);
}

}  // namespace
}  // namespace sd
