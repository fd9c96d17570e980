// Cost of cutting an encoded text into SMS parts (core/segmenter.h) and of counting them, for
// GSM-7 and UCS-2 texts of 1, 3 and 10 parts, with and without pairs near the boundaries.
#include <benchmark/benchmark.h>

#include "core/segmenter.h"

namespace sd {
namespace {

// GSM: 'a' septets with a € escape pair every `every` septets (0: none).
EncodedText GsmText(size_t septets, size_t every) {
  EncodedText t{DataCoding::kGsm7, {}, 1};
  while (t.bytes.size() < septets) {
    if (every != 0 && t.bytes.size() % every == every - 1) {
      t.bytes += "\x1b\x65";
    } else {
      t.bytes += 'a';
    }
  }
  return t;
}

// UCS-2: 'ж' units with a surrogate pair every `every` units (0: none).
EncodedText Ucs2Text(size_t units, size_t every) {
  EncodedText t{DataCoding::kUcs2, {}, 1};
  while (t.bytes.size() / 2 < units) {
    if (every != 0 && (t.bytes.size() / 2) % every == every - 1) {
      t.bytes += std::string("\xd8\x3d\xde\x00", 4);
    } else {
      t.bytes += std::string("\x04\x36", 2);
    }
  }
  return t;
}

// Args: {length in units, pair every N units (0 = none), method}.
void BM_SplitGsm(benchmark::State& state) {
  const EncodedText t = GsmText(state.range(0), state.range(1));
  const auto method = static_cast<SplitMethod>(state.range(2));
  for (auto _ : state) benchmark::DoNotOptimize(SplitText(t, method, 42));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(t.bytes.size()));
}
BENCHMARK(BM_SplitGsm)
    ->Args({120, 0, 0})
    ->Args({450, 0, 0})
    ->Args({450, 7, 0})
    ->Args({1500, 7, 0})
    ->Args({1500, 7, 1})
    ->Args({1500, 7, 2});

void BM_SplitUcs2(benchmark::State& state) {
  const EncodedText t = Ucs2Text(state.range(0), state.range(1));
  const auto method = static_cast<SplitMethod>(state.range(2));
  for (auto _ : state) benchmark::DoNotOptimize(SplitText(t, method, 42));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(t.bytes.size()));
}
BENCHMARK(BM_SplitUcs2)->Args({60, 0, 0})->Args({200, 5, 0})->Args({670, 5, 0});

void BM_CountParts(benchmark::State& state) {
  const EncodedText t = GsmText(state.range(0), 7);
  for (auto _ : state) {
    benchmark::DoNotOptimize(CountParts(t.coding, t.bytes, SplitMethod::kUdh8));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(t.bytes.size()));
}
BENCHMARK(BM_CountParts)->Arg(450)->Arg(1500);

}  // namespace
}  // namespace sd
