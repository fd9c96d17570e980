#pragma once
// Our NumberType (core/number_check.h) and libphonenumber's PhoneNumberType, both ways, from one
// table: the number checks read the library's answer, the time zone placement asks the
// library whether a type is geographic. For adapters/policy/*.cc only (the library's headers).
#include <phonenumbers/phonenumberutil.h>

#include <array>
#include <utility>

#include "core/number_check.h"

namespace sd::policy_detail {

using LibraryType = i18n::phonenumbers::PhoneNumberUtil::PhoneNumberType;
using Lib = i18n::phonenumbers::PhoneNumberUtil;

inline constexpr std::array<std::pair<LibraryType, NumberType>, 12> kNumberTypes{{
    {Lib::FIXED_LINE, NumberType::kFixedLine},
    {Lib::MOBILE, NumberType::kMobile},
    {Lib::FIXED_LINE_OR_MOBILE, NumberType::kFixedLineOrMobile},
    {Lib::TOLL_FREE, NumberType::kTollFree},
    {Lib::PREMIUM_RATE, NumberType::kPremiumRate},
    {Lib::SHARED_COST, NumberType::kSharedCost},
    {Lib::VOIP, NumberType::kVoip},
    {Lib::PERSONAL_NUMBER, NumberType::kPersonalNumber},
    {Lib::PAGER, NumberType::kPager},
    {Lib::UAN, NumberType::kUan},
    {Lib::VOICEMAIL, NumberType::kVoicemail},
    {Lib::UNKNOWN, NumberType::kUnknown},
}};

constexpr NumberType FromLibrary(LibraryType t) {
  for (const auto& [lib, ours] : kNumberTypes) {
    if (lib == t) return ours;
  }
  return NumberType::kUnknown;
}

constexpr LibraryType ToLibrary(NumberType t) {
  for (const auto& [lib, ours] : kNumberTypes) {
    if (ours == t) return lib;
  }
  return Lib::UNKNOWN;
}

// Each type once each way: the table is a bijection.
constexpr bool RoundTrips() {
  for (const auto& [lib, ours] : kNumberTypes) {
    if (FromLibrary(lib) != ours || ToLibrary(ours) != lib) return false;
  }
  return true;
}
static_assert(RoundTrips(), "kNumberTypes maps some type twice");

}  // namespace sd::policy_detail
