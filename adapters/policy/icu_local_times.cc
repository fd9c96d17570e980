#include "adapters/policy/icu_local_times.h"

#include <phonenumbers/phonenumberutil.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <atomic>
#include <map>

#include "adapters/policy/library_number_type.h"
#include "core/calling_code.h"

namespace sd {
namespace {

using i18n::phonenumbers::PhoneNumberUtil;
using policy_detail::ToLibrary;

std::atomic<uint64_t> next_instance{1};

}  // namespace

IcuLocalTimes::IcuLocalTimes(const PrefixTimeZones& map) : map_(map), id_(next_instance++) {
  // Zones shared between sets are made once ("America/New_York" is in a few dozen sets).
  std::map<std::string, std::shared_ptr<const icu::TimeZone>> made;
  sets_.resize(map.sets());
  for (size_t s = 0; s < map.sets(); ++s) {
    for (const std::string& id : map.Zones(static_cast<int>(s))) {
      auto it = made.find(id);
      if (it == made.end()) {
        std::shared_ptr<const icu::TimeZone> tz(
            icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(id)));
        // ICU answers an id it does not know with the "Etc/Unknown" zone (UTC): leave it out
        // rather than place anyone at UTC.
        if (tz != nullptr && *tz == icu::TimeZone::getUnknown()) {
          tz.reset();
          unknown_.push_back(id);
        }
        it = made.emplace(id, std::move(tz)).first;
      }
      if (it->second != nullptr) sets_[s].push_back(it->second);
    }
  }
}

IcuLocalTimes::~IcuLocalTimes() = default;

std::shared_ptr<const IcuLocalTimes> IcuLocalTimes::Shared() {
  static const std::shared_ptr<const IcuLocalTimes> kShared =
      PrefixTimeZones::Embedded().ok()
          ? std::make_shared<const IcuLocalTimes>(PrefixTimeZones::Embedded().value())
          : nullptr;
  return kShared;
}

ZoneSet IcuLocalTimes::Place(const NumberPlace& number) const {
  if (number.e164.size() < 2 || number.e164[0] != '+') return kNoZones;
  const std::string_view digits = number.e164.substr(1);
  const size_t cc_digits = CallingCodeDigits(digits);
  if (cc_digits == 0 || cc_digits > digits.size()) return kNoZones;
  int calling_code = 0;
  for (size_t i = 0; i < cc_digits; ++i) calling_code = calling_code * 10 + (digits[i] - '0');
  // As libphonenumber's mapper: a geographic number is placed by its digits, any other (a
  // mobile plan that does not tell the area, toll-free) by its country. The mapper gives an
  // unknown type no zone; here (no number library) it goes by its digits, the likeliest place
  // of a number with an area code, rather than by its country: North America's plan spans
  // Guam to Pago Pago, whose days never meet, and every such job would be refused.
  const bool geographic =
      number.type == NumberType::kUnknown ||
      PhoneNumberUtil::GetInstance()->IsNumberGeographical(ToLibrary(number.type), calling_code);
  const int set = map_.Lookup(geographic ? digits : digits.substr(0, cc_digits));
  if (set < 0 || static_cast<size_t>(set) >= sets_.size() || sets_[set].empty()) return kNoZones;
  return set;
}

void IcuLocalTimes::OffsetsAt(ZoneSet zones, int64_t utc_ms, std::vector<int>* out) const {
  out->clear();
  if (zones < 0 || static_cast<size_t>(zones) >= sets_.size()) return;
  // Per thread: the offsets of the last minute asked about, per set of this instance.
  struct Cached {
    int64_t minute = INT64_MIN;
    std::vector<int> offsets;
  };
  thread_local uint64_t cache_owner = 0;
  thread_local std::vector<Cached> cache;
  if (cache_owner != id_) {
    cache.assign(sets_.size(), Cached{});
    cache_owner = id_;
  }
  const int64_t minute = utc_ms >= 0 ? utc_ms / 60'000 : (utc_ms - 59'999) / 60'000;
  Cached& c = cache[static_cast<size_t>(zones)];
  if (c.minute != minute) {
    c.offsets.clear();
    for (const auto& tz : sets_[static_cast<size_t>(zones)]) {
      int32_t raw = 0, dst = 0;
      UErrorCode ec = U_ZERO_ERROR;
      tz->getOffset(static_cast<UDate>(utc_ms), false, raw, dst, ec);
      if (U_SUCCESS(ec)) c.offsets.push_back((raw + dst) / 60'000);
    }
    c.minute = minute;
  }
  *out = c.offsets;
}

std::vector<std::string> IcuLocalTimes::ZoneIds(ZoneSet zones) const {
  std::vector<std::string> ids;
  if (zones < 0 || static_cast<size_t>(zones) >= sets_.size()) return ids;
  for (const auto& tz : sets_[static_cast<size_t>(zones)]) {
    icu::UnicodeString id;
    tz->getID(id);
    ids.emplace_back();
    id.toUTF8String(ids.back());
  }
  return ids;
}

}  // namespace sd
