// The per-job cost of rate limiting: one GCRA bucket, the limit table warm (1k numbers) and
// cold (1e6 distinct numbers), the whole limit set per job, and contention from 2 threads.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/gcra.h"
#include "core/limit_table.h"
#include "core/rate_limits.h"

namespace sd {
namespace {

constexpr int64_t kNowNs = 1'767'225'600'000LL * 1'000'000;
constexpr SipKey kKey{0x0123456789abcdefULL, 0xfedcba9876543210ULL};

GcraParams Params(int64_t count, int64_t period_ms, int64_t burst) {
  return MakeGcraParams(RateSpec{count, period_ms, burst}).value();
}

std::vector<std::string> Numbers(int n, const char* prefix) {
  std::vector<std::string> out;
  out.reserve(n);
  char buf[32];
  for (int i = 0; i < n; ++i) {
    const int len = std::snprintf(buf, sizeof buf, "%s%09d", prefix, i);
    out.emplace_back(buf, static_cast<size_t>(len));
  }
  return out;
}

// Time advances one interval per charge: every charge is admitted (the CAS path).
void BM_GcraBucketUncontended(benchmark::State& state) {
  GcraBucket bucket(Params(1'000'000, 1000, 100));
  int64_t now = kNowNs;
  for (auto _ : state) {
    benchmark::DoNotOptimize(bucket.Charge(now));
    now += 1000;
  }
}
BENCHMARK(BM_GcraBucketUncontended);

// Refused charges: a load and a compare, no store.
void BM_GcraBucketRefused(benchmark::State& state) {
  GcraBucket bucket(Params(1, 1000, 1));
  (void)bucket.Charge(kNowNs);
  for (auto _ : state) benchmark::DoNotOptimize(bucket.Charge(kNowNs));
}
BENCHMARK(BM_GcraBucketRefused);

// Both threads CAS the same TAT (same cache line). Charge + refund keeps it admitting.
GcraBucket g_shared_bucket(Params(1'000'000'000, 1000, 1'000'000));
void BM_GcraBucketContended(benchmark::State& state) {
  for (auto _ : state) {
    if (g_shared_bucket.Charge(kNowNs).admitted) g_shared_bucket.Refund(1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GcraBucketContended)->Threads(1)->Threads(2)->UseRealTime();

// The same 1k numbers over and over: every lookup hits on the lock-free path.
void BM_TableHitWarm(benchmark::State& state) {
  static LimitTable table(LimitTableOptions{1 << 16, 64, kKey});
  static const std::vector<std::string> numbers = Numbers(1000, "+4915");
  const GcraParams p = Params(1'000'000, 1000, 1'000'000);
  size_t i = state.thread_index() * 500;
  int64_t now = kNowNs;
  for (auto _ : state) {
    benchmark::DoNotOptimize(table.Charge(numbers[i], p, now, 1));
    if (++i == numbers.size()) i = 0;
    now += 1000;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TableHitWarm)->Threads(1)->Threads(2)->UseRealTime();

// 1e6 distinct numbers, each seen once: every charge is an insert (shard lock, window scan),
// into a free slot or an idle one. 1/s per number, time advancing 10 us per charge, so about
// 100k numbers are live in 1 Mi slots.
void BM_TableCold(benchmark::State& state) {
  static const std::vector<std::string> numbers = Numbers(1'000'000, "+4916");
  LimitTable table(LimitTableOptions{1 << 20, 64, kKey});
  const GcraParams p = Params(1, 1000, 1);
  size_t i = 0;
  int64_t now = kNowNs;
  for (auto _ : state) {
    benchmark::DoNotOptimize(table.Charge(numbers[i], p, now, 1));
    if (++i == numbers.size()) i = 0;
    now += 10'000;
  }
  state.counters["full"] = static_cast<double>(table.full_count());
  state.counters["table_MiB"] = static_cast<double>(table.MemoryBytes()) / (1 << 20);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TableCold);

// The SipHash of a 14-character number, which every table charge pays.
void BM_SipHashNumber(benchmark::State& state) {
  const std::string n = "+4915112345678";
  for (auto _ : state) benchmark::DoNotOptimize(SipHash24(kKey, n));
}
BENCHMARK(BM_SipHashNumber);

std::shared_ptr<const RateLimits> FiveLimits(int64_t prefix_count) {
  auto limit = [](const char* name, LimitScope scope, RateSpec rate) {
    LimitConfig c;
    c.name = name;
    c.scope = scope;
    c.rate = rate;
    c.capacity = 1 << 18;
    if (scope == LimitScope::kDestinationPrefix) c.prefix_drop_digits = 3;
    return c;
  };
  RateLimitsConfig cfg;
  cfg.hash_key = kKey;
  cfg.limits = {limit("per_key", LimitScope::kKey, {1'000'000'000, 1000, 1'000'000'000}),
                limit("per_number", LimitScope::kDestination, {1'000'000, 1000, 1'000'000}),
                limit("per_prefix", LimitScope::kDestinationPrefix,
                      {prefix_count, 1000, prefix_count == 1 ? 1 : 1'000'000'000}),
                limit("per_sender", LimitScope::kSender, {1'000'000'000, 1000, 1'000'000'000}),
                limit("per_carrier", LimitScope::kCarrier, {1'000'000'000, 1000, 1'000'000'000})};
  return RateLimits::Build(cfg).value();
}

// All five limits charged and admitted, 100k destinations.
void BM_RateLimitsPerJob(benchmark::State& state) {
  static const auto limits = FiveLimits(1'000'000'000);
  static const std::vector<std::string> numbers = Numbers(100'000, "+4917");
  size_t i = state.thread_index() * 50'000;
  int64_t now_ms = kNowNs / 1'000'000;
  int64_t admitted = 0;
  for (auto _ : state) {
    const LimitVerdict v =
        limits->Charge(LimitSubject{"k.v1", numbers[i], "ACME", "carrier-a", 1}, now_ms);
    admitted += v.admitted();
    if (++i == numbers.size()) {
      i = 0;
      ++now_ms;
    }
  }
  state.counters["admitted"] =
      benchmark::Counter(static_cast<double>(admitted), benchmark::Counter::kAvgIterations);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RateLimitsPerJob)->Threads(1)->Threads(2)->UseRealTime();

// The third limit refuses: two charges, a refusal, two refunds, and the detail string.
void BM_RateLimitsPerJobRefusedWithRefund(benchmark::State& state) {
  static const auto limits = FiveLimits(1);
  static const std::vector<std::string> numbers = Numbers(100'000, "+4918");
  size_t i = 0;
  const int64_t now_ms = kNowNs / 1'000'000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        limits->Charge(LimitSubject{"k.v1", numbers[i], "ACME", "carrier-a", 1}, now_ms));
    if (++i == numbers.size()) i = 0;
  }
}
BENCHMARK(BM_RateLimitsPerJobRefusedWithRefund);

}  // namespace
}  // namespace sd

BENCHMARK_MAIN();
