// The whole admission decision under a full policy snapshot (registry key with scopes,
// libphonenumber, Hyperscan rules from systemd/content-rules.toml, five rate limits), per job
// on one core, with a warm destination mix (numbers the cache holds) and a cold one (every
// number new to the cache), and each stage alone. Run:
//   build/release/bench/micro/sd_decision_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "adapters/crypto/openssl_mac.h"
#include "adapters/policy/content_scanner.h"
#include "adapters/policy/phone_number_checker.h"
#include "bench/micro/bench_job.h"
#include "core/decision.h"
#include "core/envelope.h"
#include "core/policy_snapshot.h"

namespace sd {
namespace {

constexpr int64_t kNow = bench::kBenchNow;
const std::string kSecret(32, 'k');
const std::string kKeyId = "bench.v1";
constexpr size_t kEntries = 1 << 14;

Job MakeJob(size_t i) {
  return bench::BenchJob(i, "Your code is " + std::to_string(100000 + i % 900000));
}

std::shared_ptr<const KeyRegistrySnapshot> Registry() {
  KeyRecord r;
  r.id = kKeyId;
  r.secret = kSecret;
  r.not_before_ms = kNow - 10'000;
  r.scopes.kinds = KindBit(JobKind::kOtp) | KindBit(JobKind::kTransactional);
  r.scopes.senders = {"ACME", "ACME Bank"};
  r.scopes.countries = {"DE", "AT", "CH"};
  r.scopes.max_segments = 2;
  r.scopes.url_policy = UrlPolicy::kNone;
  r.scopes.otp_template = "Your code is {code}";
  return KeyRegistrySnapshot::Build(1, {r}).value();
}

std::shared_ptr<const ContentScanner> Scanner() {
  auto s = HyperscanContentScanner::Load(SD_SOURCE_DIR "/systemd/content-rules.toml");
  return std::move(std::get<std::unique_ptr<HyperscanContentScanner>>(s));
}

std::shared_ptr<const RateLimits> Limits() {
  RateLimitsConfig c;
  c.hash_key = SipKey{0x1234, 0x5678};
  auto add = [&](const char* name, LimitScope scope, int drop) {
    LimitConfig l;
    l.name = name;
    l.scope = scope;
    l.prefix_drop_digits = drop;
    l.rate = RateSpec{1'000'000'000, 1000, 1'000'000'000};  // never refuses: cost only
    l.capacity = 1 << 16;
    c.limits.push_back(l);
  };
  add("per_prefix", LimitScope::kDestinationPrefix, 3);
  add("per_number", LimitScope::kDestination, 0);
  add("per_key", LimitScope::kKey, 0);
  add("per_sender", LimitScope::kSender, 0);
  add("per_carrier", LimitScope::kCarrier, 0);
  return RateLimits::Build(c).value();
}

struct Fixture {
  explicit Fixture(size_t number_cache) {
    PolicyParts p;
    p.decision.stream = "sd:jobs";
    p.registry_keys = Registry();
    PhoneNumberChecker::Options no;
    no.cache_capacity = number_cache;
    p.numbers = std::make_shared<PhoneNumberChecker>(no);
    p.content = Scanner();
    p.limits = Limits();
    p.mac = &mac;  // keys prepared, as in the daemon
    policy = PolicySnapshot::Make(std::move(p));
    for (size_t i = 0; i < kEntries; ++i) {
      StreamEntry e;
      e.entry_id = "1-" + std::to_string(i);
      e.version = "sd1";
      e.key_id = kKeyId;
      e.job = EncodeJob(MakeJob(i));
      e.sig = SignJob(mac, kSecret, kKeyId, "sd:jobs", e.job);
      entries.push_back(std::move(e));
    }
  }
  OpenSslMac mac;
  ManualClock clock{kNow};
  std::shared_ptr<const PolicySnapshot> policy;
  std::vector<StreamEntry> entries;
};

// Warm: 1,024 distinct destinations, all in the number cache after the first round.
void BM_DecideFullWarm(benchmark::State& state) {
  Fixture f(65536);
  size_t i = 0;
  for (auto _ : state) {
    Decision d = Decide(f.entries[i++ & 1023], *f.policy, f.mac, f.clock, "sim");
    if (!d.result.ok()) state.SkipWithError(d.result.error().detail.c_str());
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecideFullWarm);

// Cold: 16,384 distinct destinations through a 16-entry cache: (nearly) every number goes to
// libphonenumber.
void BM_DecideFullCold(benchmark::State& state) {
  Fixture f(16);
  size_t i = 0;
  for (auto _ : state) {
    Decision d = Decide(f.entries[i++ & (kEntries - 1)], *f.policy, f.mac, f.clock, "sim");
    if (!d.result.ok()) state.SkipWithError(d.result.error().detail.c_str());
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecideFullCold);

// ---- Stages alone, on the same inputs ----------------------------------------------------

void BM_StageKey(benchmark::State& state) {
  auto reg = Registry();
  for (auto _ : state) benchmark::DoNotOptimize(CheckKey(*reg, kKeyId, kNow));
}
BENCHMARK(BM_StageKey);

void BM_StageSignature(benchmark::State& state) {
  Fixture f(16);
  const StreamEntry& e = f.entries[0];
  for (auto _ : state) {
    benchmark::DoNotOptimize(VerifyJobSignature(f.mac, kSecret, kKeyId, "sd:jobs", e.job, e.sig));
  }
}
BENCHMARK(BM_StageSignature);

void BM_StageSignaturePrepared(benchmark::State& state) {
  Fixture f(16);
  const StreamEntry& e = f.entries[0];
  const PreparedMac* key = f.policy->PreparedKeyOf(kKeyId);
  for (auto _ : state) {
    benchmark::DoNotOptimize(VerifyJobSignature(*key, kKeyId, "sd:jobs", e.job, e.sig));
  }
}
BENCHMARK(BM_StageSignaturePrepared);

void BM_StageDecode(benchmark::State& state) {
  const std::string bytes = EncodeJob(MakeJob(1));
  for (auto _ : state) benchmark::DoNotOptimize(DecodeJob(bytes));
}
BENCHMARK(BM_StageDecode);

void BM_StageEncodeText(benchmark::State& state) {
  const Job j = MakeJob(1);
  for (auto _ : state) benchmark::DoNotOptimize(EncodeText(j.text));
}
BENCHMARK(BM_StageEncodeText);

void BM_StageScopes(benchmark::State& state) {
  auto reg = Registry();
  const RegisteredKey* k = reg->Find(kKeyId);
  const Job j = MakeJob(1);
  for (auto _ : state) benchmark::DoNotOptimize(CheckScopes(*k, j, 1));
}
BENCHMARK(BM_StageScopes);

void BM_StageNumberWarm(benchmark::State& state) {
  PhoneNumberChecker c(PhoneNumberChecker::Options{});
  const CountryScope scope{false, {"DE", "AT", "CH"}};
  std::vector<std::string> numbers;
  for (size_t i = 0; i < 1024; ++i) numbers.push_back(MakeJob(i).destination);
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(c.Check(numbers[i++ & 1023], scope));
}
BENCHMARK(BM_StageNumberWarm);

void BM_StageNumberCold(benchmark::State& state) {
  const CountryScope scope{false, {"DE", "AT", "CH"}};
  PhoneNumberChecker::Options o;
  o.cache_capacity = 16;
  PhoneNumberChecker c(o);
  std::vector<std::string> numbers;
  for (size_t i = 0; i < kEntries; ++i) numbers.push_back(MakeJob(i).destination);
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(c.Check(numbers[i++ & (kEntries - 1)], scope));
}
BENCHMARK(BM_StageNumberCold);

void BM_StageContent(benchmark::State& state) {
  auto s = Scanner();
  const UrlScope none{UrlScope::Mode::kNone, {}};
  const Job j = MakeJob(1);
  for (auto _ : state) benchmark::DoNotOptimize(s->Scan(j.text, none));
}
BENCHMARK(BM_StageContent);

void BM_StageLimits(benchmark::State& state) {
  auto l = Limits();
  std::vector<std::string> numbers;
  for (size_t i = 0; i < 1024; ++i) numbers.push_back(MakeJob(i).destination);
  size_t i = 0;
  int64_t now = kNow;
  for (auto _ : state) {
    const LimitSubject s{kKeyId, numbers[i++ & 1023], "ACME", "sim", 1};
    benchmark::DoNotOptimize(l->Charge(s, ++now));
  }
}
BENCHMARK(BM_StageLimits);

// The route stage: a table like a real operator's (a few hundred prefixes of 3 to 7 digits,
// some countries, a default), destinations that match a long prefix, a short one, only the
// country, and only the default.
std::shared_ptr<const Router> RouteTable() {
  std::vector<RouteSpec> routes;
  for (int cc = 30; cc < 100; ++cc) {  // "+30".."+99", each with a few longer prefixes
    RouteSpec r;
    r.prefixes.push_back("+" + std::to_string(cc));
    for (int n = 0; n < 4; ++n)
      r.prefixes.push_back("+" + std::to_string(cc) + "1" + std::to_string(n) + "5");
    r.carriers = {"primary", "backup"};
    routes.push_back(std::move(r));
  }
  RouteSpec fr;
  fr.countries = {"FR", "BE", "LU"};
  fr.carriers = {"backup"};
  routes.push_back(fr);
  RouteSpec def;
  def.carriers = {"backup", "primary"};
  routes.push_back(def);
  RouteError err;
  return Router::Build({"primary", "backup"}, std::move(routes), &err);
}

void BM_StageRoute(benchmark::State& state) {
  auto r = RouteTable();
  const std::vector<std::pair<std::string, std::string>> to = {{"+4915112345678", "DE"},
                                                               {"+4930123456", "DE"},
                                                               {"+2612345678", "FR"},
                                                               {"+1202555012", "US"}};
  size_t i = 0;
  RouteChoice c;
  for (auto _ : state) {
    const auto& [number, region] = to[i++ & 3];
    benchmark::DoNotOptimize(r->Find(number, region, JobKind::kOtp, &c));
  }
}
BENCHMARK(BM_StageRoute);

// Loading the snapshot a batch is decided under (one atomic shared_ptr load + release).
void BM_PolicySlotLoad(benchmark::State& state) {
  PolicySlot slot;
  for (auto _ : state) benchmark::DoNotOptimize(slot.Load());
}
BENCHMARK(BM_PolicySlotLoad);

}  // namespace
}  // namespace sd

BENCHMARK_MAIN();
