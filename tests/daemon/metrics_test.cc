// The one counter model (daemon/lib/metrics.h): every source the daemon has, with nothing
// started, put through CollectMetrics. Every family it names is in the catalog with the right
// type, every catalog family is emitted by some source and described in docs/operations.md,
// and the exposition's syntax holds for labels that need escaping. (promtool checks a real
// daemon's output in tests/integration/admin_e2e_test.cc.)
#include "daemon/lib/metrics.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "adapters/crypto/openssl_mac.h"
#include "daemon/lib/stats_report.h"
#include "tests/daemon/dispatcher_fakes.h"
#include "tests/support/uv_test_loop.h"

namespace sd {
namespace {

using namespace testing_fakes;  // NOLINT(google-build-using-namespace): test-only fakes

// Families only the daemon itself adds (Daemon::MetricsText), or only once Redis has answered
// (the backlog, the registry's snapshot).
const std::set<std::string> kAddedLater = {"smsdispatch_up",
                                           "smsdispatch_ready",
                                           "smsdispatch_start_time_seconds",
                                           "smsdispatch_admin_scrapes_total",
                                           "smsdispatch_admin_unauthorized_total",
                                           "smsdispatch_admin_health_checks_total",
                                           "smsdispatch_admin_not_found_total",
                                           "smsdispatch_jobs_stream_lag",
                                           "smsdispatch_jobs_stream_pending",
                                           "smsdispatch_redis_shard_stream_lag",
                                           "smsdispatch_redis_shard_stream_pending",
                                           "smsdispatch_key_registry_version",
                                           "smsdispatch_key_registry_keys"};

class MetricsTest : public ::testing::Test {
 protected:
  MetricsTest() : clock_(kNow) {
    DispatcherOptions opts;
    opts.decision.stream = kStream;
    dispatcher_ = std::make_unique<Dispatcher>(fake_store_, fake_carrier_, mac_, clock_, opts);
    dispatcher_->Start();
    LimitConfig l;
    l.name = "per \"key\"";  // a name that needs escaping in a label
    l.rate = RateSpec{10, 1000, 10};
    l.capacity = 64;
    LimitConfig g = l;  // and a fleet-wide one, for the lease families
    g.name = "fleet";
    g.reach = LimitReach::kGlobal;
    RateLimitsConfig rc;
    rc.limits = {l, g};
    rc.hash_key = SipKey{3, 4};
    auto built = RateLimits::Build(rc);
    EXPECT_TRUE(built.ok());
    PumpingRule rule;
    rule.name = "otp";
    dispatcher_->policy().Update([&](const PolicySnapshot& cur) {
      PolicyParts p = cur.parts();
      p.limits = built.value();
      p.quotas =
          Quotas::Build({QuotaDefinition{"key:acme", 100, 0, {}}}, nullptr, SipKey{3, 4}).value();
      p.pumping = std::make_shared<PumpingDetector>(std::vector<PumpingRule>{rule}, kNow);
      return p;
    });
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
    listener_ = std::make_unique<http::ReceiptEndpoint>(loop_.get(), http::HttpServerOptions{},
                                                        1000, clock_);
    api_ = std::make_unique<http::ApiEndpoint>(loop_.get(), http::HttpServerOptions{},
                                               http::ApiEndpointOptions{}, dispatcher_->policy(),
                                               mac_, clock_, nullptr);
    registry_ = std::make_unique<redis::KeyRegistryWatcher>(loop_.get(), store_options.endpoint,
                                                            MasterKey({}));
    blocks_ =
        std::make_unique<redis::BlockStore>(loop_.get(), store_options.endpoint, "sd:", clock_);
    control_ =
        std::make_unique<redis::CarrierControlWatcher>(loop_.get(), store_options.endpoint, "sd:");
    inbound_ = std::make_unique<redis::InboundStore>(loop_.get(), store_options.endpoint,
                                                     redis::InboundStoreOptions{}, clock_);
    optouts_ = std::make_unique<redis::OptOutWatcher>(loop_.get(), store_options.endpoint, "sd:");
    quotas_ = std::make_unique<redis::QuotaWatcher>(loop_.get(), store_options.endpoint, "sd:");
    leases_ = std::make_unique<redis::LeaseAgent>(
        loop_.get(), store_options.endpoint, redis::LeaseAgentOptions{}, clock_,
        [this] { return dispatcher_->policy().Load()->parts().limits; }, [] {});
  }
  ~MetricsTest() override {
    int closed = 0;
    store_->Close(0, [&] { ++closed; });
    carriers_[0]->Close([&] { ++closed; });
    http_carriers_[0]->Close([&] { ++closed; });
    listener_->Close([&] { ++closed; });
    api_->Close([&] { ++closed; });
    registry_->Close([&] { ++closed; });
    blocks_->Close([&] { ++closed; });
    control_->Close([&] { ++closed; });
    inbound_->Close([&] { ++closed; });
    optouts_->Close([&] { ++closed; });
    leases_->Close([&] { ++closed; });
    quotas_->Close([&] { ++closed; });
    EXPECT_TRUE(loop_.RunUntil([&] { return closed == 12; }));
  }

  StatsSources Sources() {
    StatsSources s{dispatcher_.get(), store_.get(), &carriers_, &http_carriers_,
                   listener_.get(),   api_.get(),   &callbacks_};
    s.carrier_names = &names_;
    s.registry = registry_.get();
    s.daemon = &daemon_;
    s.blocks = blocks_.get();
    s.carrier_control = control_.get();
    s.inbound = inbound_.get();
    s.optouts = optouts_.get();
    s.leases = leases_.get();
    s.quotas = quotas_.get();
    s.now_ms = kNow;
    return s;
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
  std::unique_ptr<http::ReceiptEndpoint> listener_;
  std::unique_ptr<http::ApiEndpoint> api_;
  std::unique_ptr<redis::KeyRegistryWatcher> registry_;
  std::unique_ptr<redis::BlockStore> blocks_;
  std::unique_ptr<redis::CarrierControlWatcher> control_;
  std::unique_ptr<redis::InboundStore> inbound_;
  std::unique_ptr<redis::OptOutWatcher> optouts_;
  std::unique_ptr<redis::LeaseAgent> leases_;
  std::unique_ptr<redis::QuotaWatcher> quotas_;
  CallbackStats callbacks_;
  DaemonCounters daemon_;
  std::vector<std::string> names_{"fake"};
};

TEST_F(MetricsTest, EveryFamilyIsInTheCatalogWithItsTypeAndEveryCatalogFamilyIsEmitted) {
  const MetricSet m = CollectMetrics(Sources());
  std::set<std::string> emitted;
  for (const MetricSet::Sample& s : m.samples()) {
    if (s.family.empty()) continue;
    emitted.insert(s.family);
    const MetricFamilyInfo* f = FindMetricFamily(s.family);
    ASSERT_NE(f, nullptr) << "not in metrics_catalog.cc: " << s.family;
    EXPECT_NE(f->type, MetricType::kHistogram) << s.family;
    const bool total = s.family.size() > 6 && s.family.substr(s.family.size() - 6) == "_total";
    EXPECT_EQ(f->type == MetricType::kCounter, total) << s.family << ": counters end in _total";
  }
  for (const MetricSet::Histogram& h : m.histograms()) {
    emitted.insert(h.family);
    const MetricFamilyInfo* f = FindMetricFamily(h.family);
    ASSERT_NE(f, nullptr) << h.family;
    EXPECT_EQ(f->type, MetricType::kHistogram) << h.family;
  }
  for (const MetricFamilyInfo& f : MetricCatalog()) {
    if (kAddedLater.count(std::string(f.name)) > 0) continue;
    EXPECT_EQ(emitted.count(std::string(f.name)), 1u)
        << "in the catalog, never emitted: " << f.name;
  }
}

TEST_F(MetricsTest, EveryShardHasGaugesOfItsOwn) {
  bool closed = false;  // the fixture's one-shard store, never started: closed at once
  store_->Close(0, [&] { closed = true; });
  ASSERT_TRUE(loop_.RunUntil([&] { return closed; }));
  redis::RedisStoreOptions o;
  o.endpoint.port = 1;
  o.key_prefix = "sd:{0}:";
  o.jobs_stream = "sd:{0}:jobs";
  store_ = std::make_unique<redis::ShardedJobStore>(loop_.get(), o, 3);
  const MetricSet m = CollectMetrics(Sources());
  std::set<std::string> shards, fields;
  for (const MetricSet::Sample& s : m.samples()) {
    if (s.family != "smsdispatch_redis_shard_connected") continue;
    shards.insert(s.labels);
    fields.insert(s.flat);
    EXPECT_EQ(s.value, 0);  // nothing connects
  }
  EXPECT_EQ(shards, (std::set<std::string>{"shard=\"0\"", "shard=\"1\"", "shard=\"2\""}));
  EXPECT_EQ(fields.size(), 3u);
}

TEST_F(MetricsTest, EveryCatalogFamilyIsDescribedInTheOperationsGuide) {
  std::ifstream in(std::string(SD_SOURCE_DIR) + "/docs/operations.md");
  std::stringstream doc;
  doc << in.rdbuf();
  ASSERT_FALSE(doc.str().empty());
  for (const MetricFamilyInfo& f : MetricCatalog()) {
    EXPECT_NE(doc.str().find("`" + std::string(f.name) + "`"), std::string::npos)
        << "docs/operations.md does not describe " << f.name;
  }
}

TEST_F(MetricsTest, HashFieldsAreUniqueAndTheExpositionNamesEachFamilyOnce) {
  const MetricSet m = CollectMetrics(Sources());
  const std::vector<std::string> f = m.HashFields(7);
  std::set<std::string> fields;
  for (size_t i = 0; i < f.size(); i += 2) EXPECT_TRUE(fields.insert(f[i]).second) << f[i];
  EXPECT_EQ(fields.count("limit.per \"key\".table_full"), 1u);
  const std::string text = m.Exposition();
  std::set<std::string> typed;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(typed.insert(name).second) << "TYPE twice: " << name;
    }
  }
  EXPECT_NE(text.find("smsdispatch_limit_decisions_total{limit=\"per \\\"key\\\"\","
                      "decision=\"table_full\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("smsdispatch_decision_seconds_bucket{le=\"5e-05\"} 0\n"), std::string::npos)
      << text.substr(0, 2000);
  EXPECT_NE(text.find("smsdispatch_decision_seconds_bucket{le=\"+Inf\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("smsdispatch_reloads_total{result=\"failed\"} 0\n"), std::string::npos);
}

TEST(MetricLabels, ValuesAreEscapedAndBounded) {
  EXPECT_EQ(LabelPair("carrier", "a\"b\\c\nd"), "carrier=\"a\\\"b\\\\c\\nd\"");
  EXPECT_EQ(EscapeLabelValue(std::string(500, 'x')).size(), 128u);
}

TEST(MetricSetExposition, ScaledValuesAndHistogramsAreWritten) {
  MetricSet m;
  m.Add("smsdispatch_callbacks_delivery_lag_seconds_total", "", 1500, "callbacks.lag_ms_sum", 1e-3);
  LatencyHistogram h;
  h.Observe(75);
  h.Observe(3'000'000);
  m.AddHistogram("smsdispatch_redis_write_round_trip_seconds", "", h);
  const std::string text = m.Exposition();
  EXPECT_NE(text.find("smsdispatch_callbacks_delivery_lag_seconds_total 1.5\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("smsdispatch_redis_write_round_trip_seconds_bucket{le=\"0.0001\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("smsdispatch_redis_write_round_trip_seconds_bucket{le=\"5\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("smsdispatch_redis_write_round_trip_seconds_sum 3.000075\n"),
            std::string::npos);
  EXPECT_NE(text.find("smsdispatch_redis_write_round_trip_seconds_count 2\n"), std::string::npos);
  EXPECT_EQ(m.HashFields(1), (std::vector<std::string>{"ts", "1", "callbacks.lag_ms_sum", "1500"}));
}

TEST_F(MetricsTest, ACarriersStateIsOneGaugeSetAndOneHashField) {
  dispatcher_->SetCarrierMode(0, CarrierMode::kPaused);
  const MetricSet m = CollectMetrics(Sources());
  const std::string text = m.Exposition();
  EXPECT_NE(text.find("smsdispatch_carrier_state{carrier=\"fake\",state=\"paused\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("smsdispatch_carrier_state{carrier=\"fake\",state=\"active\"} 0"),
            std::string::npos);
  const auto fields = m.HashFields(kNow);
  bool paused = false, active = false;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    paused = paused || (fields[i] == "carrier.fake.state_paused" && fields[i + 1] == "1");
    active = active || fields[i] == "carrier.fake.state_active";
  }
  EXPECT_TRUE(paused);
  EXPECT_FALSE(active) << "only the current state goes to the stats hash";
}

}  // namespace
}  // namespace sd
