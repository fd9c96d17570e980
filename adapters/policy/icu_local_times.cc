#include "adapters/policy/icu_local_times.h"

#include <unicode/strenum.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <unordered_map>

namespace sd {

struct IcuLocalTimes::Zones {
  std::vector<std::string> ids;
  std::vector<std::unique_ptr<icu::TimeZone>> zones;  // getOffset is const and thread-safe
};

IcuLocalTimes::IcuLocalTimes() = default;
IcuLocalTimes::~IcuLocalTimes() = default;

std::shared_ptr<const IcuLocalTimes> IcuLocalTimes::Shared() {
  static const auto kShared = std::make_shared<const IcuLocalTimes>();
  return kShared;
}

const IcuLocalTimes::Zones& IcuLocalTimes::ZonesFor(std::string_view region) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = zones_.find(region);
  if (it != zones_.end()) return *it->second;
  auto z = std::make_unique<Zones>();
  if (region.size() == 2) {
    const std::string r(region);
    UErrorCode ec = U_ZERO_ERROR;
    std::unique_ptr<icu::StringEnumeration> ids(icu::TimeZone::createTimeZoneIDEnumeration(
        UCAL_ZONE_TYPE_CANONICAL_LOCATION, r.c_str(), nullptr, ec));
    const icu::UnicodeString* id = nullptr;
    while (U_SUCCESS(ec) && ids != nullptr && (id = ids->snext(ec)) != nullptr) {
      std::string utf8;
      id->toUTF8String(utf8);
      z->ids.push_back(utf8);
      z->zones.emplace_back(icu::TimeZone::createTimeZone(*id));
    }
  }
  return *zones_.emplace(std::string(region), std::move(z)).first->second;
}

std::vector<std::string> IcuLocalTimes::ZonesOf(std::string_view region) const {
  return ZonesFor(region).ids;
}

void IcuLocalTimes::OffsetsAt(std::string_view region, int64_t utc_ms,
                              std::vector<int>* out) const {
  out->clear();
  if (region.empty()) return;
  // Per thread, per region: the offsets of the last minute asked about.
  struct Cached {
    int64_t minute = INT64_MIN;
    std::vector<int> offsets;
  };
  thread_local std::unordered_map<std::string, Cached> cache;
  const int64_t minute = utc_ms / 60'000;
  auto [it, fresh] = cache.try_emplace(std::string(region));
  Cached& c = it->second;
  if (c.minute != minute || fresh) {
    const Zones& zones = ZonesFor(region);
    c.offsets.clear();
    for (const auto& tz : zones.zones) {
      int32_t raw = 0, dst = 0;
      UErrorCode ec = U_ZERO_ERROR;
      tz->getOffset(static_cast<UDate>(utc_ms), false, raw, dst, ec);
      if (U_SUCCESS(ec)) c.offsets.push_back((raw + dst) / 60'000);
    }
    c.minute = minute;
    if (cache.size() > 512) cache.clear();  // bounded: regions are a few hundred
  }
  *out = c.offsets;
}

}  // namespace sd
