#pragma once
// NumberChecker on libphonenumber: the table compiled from the library's metadata
// (number_plan_metadata.h) answers most numbers, the library the rest, with a bounded cache in
// front of both (number_info_cache.h).
#include <atomic>
#include <cstdint>
#include <string_view>

#include "adapters/policy/number_info_cache.h"
#include "core/number_check.h"

namespace sd {

class PhoneNumberChecker final : public NumberChecker {
 public:
  struct Options {
    NumberOptions number;
    size_t cache_capacity = 65536;  // entries; ~100 bytes each
  };
  // Longer inputs are invalid without asking the library ('+' and at most 15 digits is E.164;
  // the slack covers nothing legitimate, it only bounds the work).
  static constexpr size_t kMaxDestinationBytes = 16;

  explicit PhoneNumberChecker(Options options);

  // Thread-safe: the options are immutable, the cache is sharded (see number_info_cache.h) and
  // libphonenumber's PhoneNumberUtil is a thread-safe singleton.
  Result<NumberInfo> Check(std::string_view destination, const CountryScope& scope) const override;

  const Options& options() const { return options_; }

  // What the library says about `destination`, through the cache.
  NumberInfo Lookup(std::string_view destination) const;
  // The same without the cache (benchmarks, and the cache's miss path): the table, or the
  // library where the table cannot decide.
  static NumberInfo LookupUncached(std::string_view destination);
  // The library alone, never the table (the agreement test, benchmarks).
  static NumberInfo LookupLibrary(std::string_view destination);

  uint64_t cache_hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t cache_misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  const Options options_;
  mutable NumberInfoCache cache_;
  mutable std::atomic<uint64_t> hits_{0};
  mutable std::atomic<uint64_t> misses_{0};
};

}  // namespace sd
