#pragma once
// The recipient's clocks for quiet hours (core/quiet_hours.h), from ICU's time zone database:
// the canonical location zones of the number's region (libphonenumber's region code, "DE",
// "US"). One zone for most countries; every zone of a country that spans several (ICU lists
// them all, so the quiet-hours rule waits for the latest-starting one). The Debian package of
// libphonenumber's C++ library has no time zone mapper (its prefix-to-zone data ships only in
// the Java package), so a number is placed by its region, not its area code: for a country
// with several zones this holds some jobs longer than an area code would, never shorter.
// Offsets are cached per region and minute, per thread: at a steady flow one ICU call per zone
// per minute, not per job.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/quiet_hours.h"

namespace sd {

class IcuLocalTimes final : public LocalTimes {
 public:
  IcuLocalTimes();
  ~IcuLocalTimes() override;
  static std::shared_ptr<const IcuLocalTimes> Shared();

  void OffsetsAt(std::string_view region, int64_t utc_ms, std::vector<int>* out) const override;
  // The zone ids of a region (empty for an unknown one), for tests and the docs.
  std::vector<std::string> ZonesOf(std::string_view region) const;

 private:
  struct Zones;
  const Zones& ZonesFor(std::string_view region) const;

  mutable std::mutex mu_;  // guards zones_ (filled once per region)
  mutable std::map<std::string, std::unique_ptr<Zones>, std::less<>> zones_;
};

}  // namespace sd
