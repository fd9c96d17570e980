// The per-job cost of each decision stage and of the SMPP codec, on one core.
#include <benchmark/benchmark.h>

#include "adapters/crypto/openssl_mac.h"
#include "adapters/smpp/pdu.h"
#include "bench/micro/bench_job.h"
#include "core/decision.h"
#include "core/envelope.h"

namespace sd {
namespace {

constexpr int64_t kNow = bench::kBenchNow;
const std::string kSecret(32, 'k');

Job MakeJob(int i, const std::string& text) {
  return bench::BenchJob(static_cast<size_t>(i), text);
}

StreamEntry MakeEntry(const MacAlgorithm& mac, int i, const std::string& text) {
  StreamEntry e;
  e.entry_id = "1-" + std::to_string(i);
  e.version = "sd1";
  e.key_id = "bench.v1";
  e.job = EncodeJob(MakeJob(i, text));
  e.sig = SignJob(mac, kSecret, e.key_id, "sd:jobs", e.job);
  return e;
}

void BM_DecodeJob(benchmark::State& state) {
  const std::string bytes = EncodeJob(MakeJob(1, "Your code is 123456"));
  for (auto _ : state) benchmark::DoNotOptimize(DecodeJob(bytes));
}
BENCHMARK(BM_DecodeJob);

void BM_VerifySignature(benchmark::State& state) {
  OpenSslMac mac;
  const StreamEntry e = MakeEntry(mac, 1, "Your code is 123456");
  for (auto _ : state) {
    benchmark::DoNotOptimize(VerifyJobSignature(mac, kSecret, e.key_id, "sd:jobs", e.job, e.sig));
  }
}
BENCHMARK(BM_VerifySignature);

void BM_EncodeTextGsm(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(EncodeText("Your code is 123456. Do not share it."));
}
BENCHMARK(BM_EncodeTextGsm);

void BM_EncodeTextUcs2(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(EncodeText("Ваш код 123456. Никому не сообщайте."));
}
BENCHMARK(BM_EncodeTextUcs2);

// The whole admission decision per job, over a rotating set of distinct jobs.
void BM_Decide(benchmark::State& state) {
  OpenSslMac mac;
  KeyRing keys;
  keys.Add(SigningKey{"bench.v1", kSecret});
  ManualClock clock(kNow);
  DecisionConfig cfg;
  cfg.stream = "sd:jobs";
  std::vector<StreamEntry> entries;
  for (int i = 0; i < 1024; ++i)
    entries.push_back(MakeEntry(mac, i, "Your code is " + std::to_string(100000 + i)));
  size_t i = 0;
  for (auto _ : state) {
    Decision d = Decide(entries[i++ & 1023], keys, mac, clock, cfg);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Decide);

smpp::Pdu SubmitSm() {
  smpp::Pdu p;
  p.header.command_id = static_cast<uint32_t>(smpp::CommandId::kSubmitSm);
  p.header.sequence_number = 7;
  auto& m = p.sm.emplace();
  m.source_addr_ton = 5;
  m.source_addr = "ACME";
  m.dest_addr_ton = 1;
  m.dest_addr_npi = 1;
  m.destination_addr = "4915112345678";
  m.registered_delivery = 1;
  m.short_message = "Your code is 123456";
  return p;
}

void BM_PduEncodeSubmitSm(benchmark::State& state) {
  const smpp::Pdu p = SubmitSm();
  for (auto _ : state) benchmark::DoNotOptimize(smpp::Encode(p));
}
BENCHMARK(BM_PduEncodeSubmitSm);

void BM_PduDecodeSubmitSm(benchmark::State& state) {
  const std::string bytes = *smpp::Encode(SubmitSm());
  for (auto _ : state) benchmark::DoNotOptimize(smpp::Decode(bytes));
}
BENCHMARK(BM_PduDecodeSubmitSm);

}  // namespace
}  // namespace sd

BENCHMARK_MAIN();
