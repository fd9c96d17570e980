// A fleet-wide limit's lease book charged from several threads while another thread plays the
// lease agent (takes wants, grants, takes expired tokens back). Run under ThreadSanitizer by
// scripts/test.sh. Whatever the interleaving, no token is spent twice: the jobs admitted plus
// the tokens held and returned equal the tokens granted.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/rate_limits.h"

namespace sd {
namespace {

TEST(LeaseBookThreads, EveryGrantedTokenIsSpentHeldOrReturnedOnce) {
  LimitConfig l;
  l.name = "fleet";
  l.scope = LimitScope::kKey;
  l.rate = RateSpec{1000, 1000, 1000};
  l.capacity = 64;
  l.reach = LimitReach::kGlobal;
  l.lease_units = 8;
  l.lease_ms = 100;
  RateLimitsConfig cfg;
  cfg.limits = {l};
  cfg.hash_key = SipKey{1, 2};
  auto limits = RateLimits::Build(cfg).value();
  LeaseBook& book = *limits->Globals()[0].state->leases;
  std::atomic<int64_t> now{1'000'000};
  std::atomic<bool> done{false};
  std::atomic<int64_t> admitted{0};
  int64_t granted = 0, returned = 0;
  std::atomic<int64_t> rounds{0};  // the agent's turns
  std::thread agent([&] {
    while (!done.load()) {
      rounds.fetch_add(1);
      for (const auto& w : book.TakeWants()) {
        book.Granted(w.value, w.units, 0, now.load());
        granted += w.units;
      }
      for (const auto& r : book.TakeExpired(now.fetch_add(1))) returned += r.units;
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&, t] {
      const char* families[] = {"a.v1", "b.v1"};
      // At least 20,000 charges, and on until the agent has had turns enough to grant (on a
      // loaded 2-core machine under a sanitizer it may not be scheduled at all for a while).
      for (int i = 0; i < 20'000 || (rounds.load() < 1'000 && i < 5'000'000); ++i) {
        const LimitVerdict v =
            limits->Charge({families[(i + t) % 2], "+15550001", "", "", 1 + i % 2}, now.load());
        if (v.admitted()) admitted += 1 + i % 2;
        if (i % 1024 == 0) std::this_thread::yield();
      }
    });
  }
  for (std::thread& w : workers) w.join();
  done = true;
  agent.join();
  for (const auto& r : book.TakeAll()) returned += r.units;
  EXPECT_GT(admitted.load(), 0);
  EXPECT_EQ(admitted.load() + returned, granted);
  EXPECT_EQ(book.HeldUnits(), 0);
}

}  // namespace
}  // namespace sd
