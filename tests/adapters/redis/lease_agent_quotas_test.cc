// Quota leases against a real redis-server: three "daemons" (each its own Quotas snapshot and
// lease agent) never grant more than a quota together, report 80 % and 100 % exactly once
// between them, and give unspent segments back to the counters.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "adapters/redis/lease_agent.h"
#include "tests/support/redis_server.h"
#include "tests/support/uv_test_loop.h"

namespace sd::redis {
namespace {

class WallClock final : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

struct Daemon {
  std::shared_ptr<const Quotas> quotas;
  std::unique_ptr<LeaseAgent> agent;
  int answered = 0;
};

class QuotaLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()) << server_.error(); }
  void TearDown() override {
    int closed = 0;
    for (auto& d : daemons_) d->agent->Close([&] { ++closed; });
    EXPECT_TRUE(loop_.RunUntil([&] { return closed == static_cast<int>(daemons_.size()); }));
  }

  Daemon& AddDaemon(const QuotaDefinition& def) {
    auto d = std::make_unique<Daemon>();
    d->quotas = Quotas::Build({def}, nullptr, SipKey{1, daemons_.size() + 1}).value();
    RedisEndpoint e;
    e.host = server_.host();
    e.port = server_.port();
    LeaseAgentOptions o;
    o.key_prefix = "t:";
    Daemon* raw = d.get();
    d->agent = std::make_unique<LeaseAgent>(
        loop_.get(), e, o, clock_, [] { return std::shared_ptr<const RateLimits>(); },
        [raw] { ++raw->answered; });
    d->agent->SetQuotas([raw] { return raw->quotas; },
                        [this](const QuotaCrossing& c) { crossings_.push_back(c); });
    d->agent->Start();
    daemons_.push_back(std::move(d));
    Daemon& out = *daemons_.back();
    EXPECT_TRUE(loop_.RunUntil([&] { return out.agent->connected(); }));
    return out;
  }

  // One job of key "acme": charged, and on a wait asked for and charged again once.
  Quotas::Verdict::Kind Charge(Daemon& d) {
    auto v = d.quotas->Charge("acme.v1", 1, clock_.NowMs());
    if (v.kind != Quotas::Verdict::Kind::kAwait) return v.kind;
    const int before = d.answered;
    d.agent->Kick();
    EXPECT_TRUE(loop_.RunUntil([&] { return d.answered > before; }));
    return d.quotas->Charge("acme.v1", 1, clock_.NowMs()).kind;
  }

  long long Counter(const std::string& period) {
    const QuotaPeriods p = QuotaPeriodsAt(clock_.NowMs());
    testing::ReplyPtr r = server_.Command(
        {"GET", "t:quota:{key:acme}:" + (period == "d" ? "d:" + p.day : "m:" + p.month)});
    return r && r->type == REDIS_REPLY_STRING ? std::stoll(std::string(r->str, r->len)) : 0;
  }

  testing::RedisServer server_;
  testing::UvTestLoop loop_;
  WallClock clock_;
  std::vector<std::unique_ptr<Daemon>> daemons_;
  std::vector<QuotaCrossing> crossings_;
};

TEST_F(QuotaLeaseTest, ThreeDaemonsNeverGrantMoreThanTheQuotaAndReportEachMarkOnce) {
  const QuotaDefinition def{"key:acme", 50, 1000, {}};
  for (int i = 0; i < 3; ++i) AddDaemon(def);
  int admitted = 0, exceeded = 0;
  for (int round = 0; round < 40; ++round) {
    for (auto& d : daemons_) {
      const auto k = Charge(*d);
      admitted += k == Quotas::Verdict::Kind::kAdmit;
      exceeded += k == Quotas::Verdict::Kind::kExceeded;
    }
  }
  EXPECT_LE(admitted, 50);
  EXPECT_GE(admitted, 50 - 3);  // at most one unspent lease (1 segment) per daemon
  EXPECT_GT(exceeded, 0);
  EXPECT_EQ(Counter("d"), 50);  // leased = used until given back
  int day80 = 0, day100 = 0;
  for (const QuotaCrossing& c : crossings_) {
    EXPECT_EQ(c.subject, "key:acme");
    day80 += c.period == "day" && c.level == 80;
    day100 += c.period == "day" && c.level == 100;
  }
  EXPECT_EQ(day80, 1);
  EXPECT_EQ(day100, 1);
  EXPECT_EQ(crossings_.size(), 2u);  // the month (1000) is far from 80 %
}

TEST_F(QuotaLeaseTest, UnspentSegmentsGoBackToBothCounters) {
  Daemon& d = AddDaemon(QuotaDefinition{"key:acme", 10'000, 0, {}});  // leases of 100
  ASSERT_EQ(Charge(d), Quotas::Verdict::Kind::kAdmit);
  ASSERT_EQ(Counter("d"), 100);
  ASSERT_EQ(Counter("m"), 100);
  bool closed = false;
  d.agent->Close([&] { closed = true; });
  ASSERT_TRUE(loop_.RunUntil([&] { return closed; }));
  daemons_.clear();
  EXPECT_EQ(Counter("d"), 1);  // the one job's segment stays counted
  EXPECT_EQ(Counter("m"), 1);
}

}  // namespace
}  // namespace sd::redis
