#include "adapters/policy/phone_number_checker.h"

#include <phonenumbers/phonenumberutil.h>

#include <optional>
#include <string>

#include "adapters/policy/library_number_type.h"
#include "adapters/policy/number_plan_metadata.h"
#include "core/addresses.h"

namespace sd {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;
using policy_detail::FromLibrary;

}  // namespace

PhoneNumberChecker::PhoneNumberChecker(Options options)
    : options_(std::move(options)), cache_(options_.cache_capacity) {
  LibraryNumberTable();  // built here, at start-up, rather than on the first job
}

NumberInfo PhoneNumberChecker::LookupUncached(std::string_view destination) {
  // The producer contract is E.164 with '+': anything else is refused before the table or the
  // library sees it, so spaces, letters (vanity numbers) and national formats never reach the
  // carrier.
  if (!IsE164(destination)) return NumberInfo{};
  if (std::optional<NumberInfo> answer = LibraryNumberTable().Classify(destination)) {
    return *std::move(answer);
  }
  return LookupLibrary(destination);
}

NumberInfo PhoneNumberChecker::LookupLibrary(std::string_view destination) {
  NumberInfo info;
  if (!IsE164(destination)) return info;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  // "ZZ": no default region, the number must carry its country code.
  if (util.Parse(std::string(destination), "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return info;
  }
  util.Format(number, PhoneNumberUtil::E164, &info.e164);
  util.GetRegionCodeForNumber(number, &info.region);
  // IsValidNumber is GetNumberType(number) != UNKNOWN underneath (both find the region and
  // run the number-type patterns of its metadata); calling both ran the regular expressions,
  // the whole cost of a cold destination, twice. NumberChecks.ValidMeansAKnownType checks
  // the equivalence against the library over numbers of many kinds and regions.
  const PhoneNumberUtil::PhoneNumberType type = util.GetNumberType(number);
  info.valid = type != PhoneNumberUtil::UNKNOWN;
  info.type = FromLibrary(type);
  return info;
}

NumberInfo PhoneNumberChecker::Lookup(std::string_view destination) const {
  if (auto hit = cache_.Find(destination)) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    return *std::move(hit);
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  NumberInfo info = LookupUncached(destination);
  cache_.Insert(destination, info);
  return info;
}

Result<NumberInfo> PhoneNumberChecker::Check(std::string_view destination,
                                             const CountryScope& scope) const {
  return JudgeNumber(Lookup(destination), options_.number, scope);
}

}  // namespace sd
