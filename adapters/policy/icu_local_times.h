#pragma once
// The recipient's clocks for quiet hours (core/quiet_hours.h). A number is placed in its time
// zones by libphonenumber's own prefix-to-zone data (prefix_time_zones.h, the data of Java's
// PhoneNumberToTimeZonesMapper), as that mapper does: a geographic number (fixed line, or a
// mobile number where the plan ties mobiles to areas) by the longest prefix of its digits, so
// +1 212 is New York alone; any other number by its country calling code, so a Russian mobile
// is in every Russian zone and waits for the latest-starting one. A number of unknown type (no
// number library) goes by its digits. The offsets come from ICU's
// zone database; every zone of the map is made once, at construction, so lookups need no
// lock. Offsets are cached per zone set and minute, per thread: at a steady flow one ICU call
// per zone per minute, not per job.
#include <unicode/uversion.h>  // U_NAMESPACE_BEGIN: "icu" is an alias of a versioned namespace

#include <memory>
#include <string>
#include <vector>

#include "adapters/policy/prefix_time_zones.h"
#include "core/quiet_hours.h"

U_NAMESPACE_BEGIN
class TimeZone;
U_NAMESPACE_END

namespace sd {

class IcuLocalTimes final : public LocalTimes {
 public:
  explicit IcuLocalTimes(const PrefixTimeZones& map);
  ~IcuLocalTimes() override;
  // On the map embedded at build time; null if it did not parse (a build defect, which the
  // test suite would show; the policy loader refuses quiet hours then).
  static std::shared_ptr<const IcuLocalTimes> Shared();

  ZoneSet Place(const NumberPlace& number) const override;
  void OffsetsAt(ZoneSet zones, int64_t utc_ms, std::vector<int>* out) const override;
  // The zone ids of a set (empty for kNoZones), for tests, logs and the docs.
  std::vector<std::string> ZoneIds(ZoneSet zones) const;
  // Zones of the map that ICU does not know (left out of their sets); empty with a current ICU.
  const std::vector<std::string>& unknown_zones() const { return unknown_; }

 private:
  const PrefixTimeZones& map_;
  // Per zone set (the map's index): its ICU zones; getOffset is const and thread-safe.
  std::vector<std::vector<std::shared_ptr<const icu::TimeZone>>> sets_;
  std::vector<std::string> unknown_;
  uint64_t id_ = 0;  // this instance, for the per-thread cache
};

}  // namespace sd
