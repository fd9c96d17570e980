// The lease agent against a real redis-server: leases from one shared bucket, denials with the
// bucket's retry time, unspent tokens given back, a flushed script cache, Redis gone; and the
// fleet bound: three "daemons" (each its own RateLimits and agent) offered many times the
// rate admit at most the bucket's budget plus one lease each (docs/limits.md).
#include "adapters/redis/lease_agent.h"

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

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

LimitConfig Fleet(int64_t rate, int64_t burst, int64_t lease_units,
                  LimitAction action = LimitAction::kReject) {
  LimitConfig c;
  c.name = "fleet";
  c.scope = LimitScope::kKey;
  c.rate = RateSpec{rate, 1000, burst};
  c.action = action;
  c.capacity = 64;
  c.reach = LimitReach::kGlobal;
  c.lease_units = lease_units;
  return c;
}

// One daemon's side: its limits snapshot and its agent.
struct Daemon {
  std::shared_ptr<const RateLimits> limits;
  std::unique_ptr<LeaseAgent> agent;
  int answered = 0;
};

class LeaseAgentTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()) << server_.error(); }
  void TearDown() override {
    int closed = 0;
    for (auto& d : daemons_) d->agent->Close([&] { ++closed; });
    EXPECT_TRUE(loop_.RunUntil([&] { return closed == static_cast<int>(daemons_.size()); }));
  }

  Daemon& AddDaemon(const LimitConfig& limit, int64_t wait_replicas = 0) {
    RateLimitsConfig cfg;
    cfg.limits = {limit};
    cfg.hash_key = SipKey{1, static_cast<uint64_t>(daemons_.size() + 1)};
    auto d = std::make_unique<Daemon>();
    d->limits = RateLimits::Build(cfg).value();
    RedisEndpoint e;
    e.host = server_.host();
    e.port = server_.port();
    e.reconnect_initial_ms = 20;
    e.reconnect_max_ms = 100;
    LeaseAgentOptions o;
    o.key_prefix = "t:";
    o.wait_replicas = wait_replicas;
    o.wait_timeout_ms = 50;
    Daemon* raw = d.get();
    d->agent = std::make_unique<LeaseAgent>(
        loop_.get(), e, o, clock_, [raw] { return raw->limits; }, [raw] { ++raw->answered; });
    d->agent->Start();
    daemons_.push_back(std::move(d));
    Daemon& out = *daemons_.back();
    EXPECT_TRUE(loop_.RunUntil([&] { return out.agent->connected(); }));
    return out;
  }

  // Charges one job for key family "acme"; on a wait, asks and waits for the answer.
  LimitVerdict ChargeWaiting(Daemon& d) {
    LimitVerdict v =
        d.limits->Charge(LimitSubject{"acme.v1", "+447700900123", "", "", 1}, clock_.NowMs());
    if (v.kind != LimitVerdict::Kind::kAwaitLease) return v;
    const int before = d.answered;
    d.agent->Kick();
    EXPECT_TRUE(loop_.RunUntil([&] { return d.answered > before; }));
    return d.limits->Charge(LimitSubject{"acme.v1", "+447700900123", "", "", 1}, clock_.NowMs());
  }

  // The bucket's TAT in Redis (µs), 0 when it has no key (idle).
  double Tat() {
    testing::ReplyPtr r = server_.Command({"GET", "t:limit:fleet:acme"});
    return r && r->type == REDIS_REPLY_STRING ? std::stod(std::string(r->str, r->len)) : 0;
  }

  testing::RedisServer server_;
  testing::UvTestLoop loop_;
  WallClock clock_;
  std::vector<std::unique_ptr<Daemon>> daemons_;
};

TEST_F(LeaseAgentTest, LeasesFromTheSharedBucketAndGivesUnspentTokensBack) {
  Daemon& d = AddDaemon(Fleet(100, 100, 10));
  ASSERT_TRUE(ChargeWaiting(d).admitted());
  const double leased = Tat();
  ASSERT_GT(leased, 0);
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(d.limits->Charge({"acme.v2", "", "", "", 1}, clock_.NowMs()).admitted());
  EXPECT_EQ(d.limits->Globals()[0].state->leases->HeldUnits(), 6);
  // Close hands the 6 unspent tokens back: the TAT moves back by 6 intervals of 10 ms.
  bool closed = false;
  d.agent->Close([&] { closed = true; });
  ASSERT_TRUE(loop_.RunUntil([&] { return closed; }));
  const double after = Tat();
  if (after > 0) {  // else the TAT passed meanwhile and the bucket is idle: as good
    EXPECT_NEAR(leased - after, 6 * 10'000, 1) << leased << " " << after;
  }
  daemons_.clear();  // closed already
}

// wait_replicas: a lease is spent only once a replica has it, so a failover cannot forget
// tokens already sent with.
TEST_F(LeaseAgentTest, WithWaitReplicasALeaseIsSpentOnlyOnceAReplicaHasIt) {
  Daemon& d = AddDaemon(Fleet(100, 100, 10), 1);
  const LimitSubject job{"acme.v1", "+447700900123", "", "", 1};
  ASSERT_EQ(d.limits->Charge(job, clock_.NowMs()).kind, LimitVerdict::Kind::kAwaitLease);
  d.agent->Kick();
  loop_.RunUntil([] { return false; }, std::chrono::milliseconds(500));
  EXPECT_EQ(d.answered, 0);
  EXPECT_GT(Tat(), 0);  // taken from the bucket on the master, not yet spendable
  EXPECT_GE(d.agent->counters().replica_waits_short, 2u);

  ASSERT_TRUE(server_.Command({"CONFIG", "SET", "repl-diskless-sync-delay", "0"}));
  testing::RedisServerOptions ro;
  ro.extra_args = {"--replicaof", server_.host(), std::to_string(server_.port())};
  testing::RedisServer replica(ro);
  ASSERT_TRUE(replica.Start()) << replica.error();
  ASSERT_TRUE(loop_.RunUntil([&] { return d.answered > 0; }, std::chrono::seconds(20)));
  EXPECT_TRUE(d.limits->Charge(job, clock_.NowMs()).admitted());
}

TEST_F(LeaseAgentTest, AnEmptyBucketDeniesUntilItWouldGrantAgain) {
  Daemon& d = AddDaemon(Fleet(2, 2, 2));
  ASSERT_TRUE(ChargeWaiting(d).admitted());
  ASSERT_TRUE(ChargeWaiting(d).admitted());
  // Both tokens spent; the lease asked ahead is refused (the bucket holds 2 per second).
  const LimitVerdict v = ChargeWaiting(d);
  EXPECT_EQ(v.kind, LimitVerdict::Kind::kReject);
  EXPECT_NE(v.detail.find("across the fleet"), std::string::npos) << v.detail;
  const LimitStats st = d.limits->Stats()[0];
  EXPECT_GE(st.lease_denied, 1u);
  EXPECT_EQ(st.lease_granted_units, 2u);
}

TEST_F(LeaseAgentTest, AFlushedScriptCacheIsReloaded) {
  Daemon& d = AddDaemon(Fleet(100, 100, 1));
  ASSERT_TRUE(ChargeWaiting(d).admitted());
  server_.Command({"SCRIPT", "FLUSH"});
  ASSERT_TRUE(ChargeWaiting(d).admitted());
  EXPECT_EQ(d.agent->counters().errors, 0u);
}

TEST_F(LeaseAgentTest, WithoutRedisALeaseFailsClosedAndIsAnswered) {
  Daemon& d = AddDaemon(Fleet(100, 100, 10));
  server_.Kill();
  ASSERT_TRUE(loop_.RunUntil([&] { return !d.agent->connected(); }));
  const LimitVerdict v = ChargeWaiting(d);
  EXPECT_EQ(v.kind, LimitVerdict::Kind::kReject);  // refused for fail_ms, never held for ever
  EXPECT_NE(v.detail.find("no answer from Redis"), std::string::npos) << v.detail;
  EXPECT_EQ(d.answered, 1);
  EXPECT_GE(d.agent->counters().not_connected + d.agent->counters().errors, 1u);
  ASSERT_TRUE(server_.Start()) << server_.error();
}

// Offers each of three daemons far more than the rate for two seconds, from one loop, and
// checks the fleet's admissions against the documented bound.
TEST_F(LeaseAgentTest, ThreeDaemonsAdmitAtMostTheBucketPlusOneLeaseEach) {
  constexpr int64_t kRate = 50, kBurst = 50, kLease = 10;
  for (int i = 0; i < 3; ++i) AddDaemon(Fleet(kRate, kBurst, kLease));
  struct Offer {
    std::vector<std::unique_ptr<Daemon>>* daemons;
    const Clock* clock;
    int64_t admitted = 0, offered = 0, refused = 0;
    int64_t end_ms = 0;
  } offer{&daemons_, &clock_};
  const auto start = std::chrono::steady_clock::now();
  offer.end_ms = clock_.NowMs() + 2000;
  uv_timer_t t;
  uv_timer_init(loop_.get(), &t);
  t.data = &offer;
  uv_timer_start(
      &t,
      [](uv_timer_t* h) {
        auto* o = static_cast<Offer*>(h->data);
        for (auto& d : *o->daemons) {
          for (int j = 0; j < 5; ++j) {  // 15 per ms offered: 300 times the rate
            ++o->offered;
            const LimitVerdict v = d->limits->Charge({"acme.v1", "", "", "", 1}, o->clock->NowMs());
            if (v.admitted()) ++o->admitted;
            if (v.kind == LimitVerdict::Kind::kReject) ++o->refused;
          }
          if (d->limits->WantsLeases()) d->agent->Kick();
        }
        if (o->clock->NowMs() >= o->end_ms) uv_timer_stop(h);
      },
      1, 1);
  ASSERT_TRUE(loop_.RunUntil([&] { return uv_is_active(loop::AsHandle(&t)) == 0; },
                             std::chrono::seconds(30)));
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  bool closed = false;
  t.data = &closed;
  uv_close(loop::AsHandle(&t), [](uv_handle_t* h) { *static_cast<bool*>(h->data) = true; });
  ASSERT_TRUE(loop_.RunUntil([&] { return closed; }));
  const double bound = kBurst + kRate * elapsed_s + 3 * kLease;
  std::cout << "offered " << offer.offered << ", admitted " << offer.admitted << " in " << elapsed_s
            << " s; bound " << bound << "\n";
  EXPECT_LE(static_cast<double>(offer.admitted), bound);
  EXPECT_GE(offer.admitted, kBurst);  // the bucket starts idle: its burst is always granted
  EXPECT_GT(offer.refused, 0);
}

}  // namespace
}  // namespace sd::redis
