#include "core/number_check.h"

#include <algorithm>

namespace sd {

std::string_view NumberTypeName(NumberType t) {
  switch (t) {
    case NumberType::kUnknown:
      return "unknown";
    case NumberType::kFixedLine:
      return "fixed_line";
    case NumberType::kMobile:
      return "mobile";
    case NumberType::kFixedLineOrMobile:
      return "fixed_line_or_mobile";
    case NumberType::kTollFree:
      return "toll_free";
    case NumberType::kPremiumRate:
      return "premium_rate";
    case NumberType::kSharedCost:
      return "shared_cost";
    case NumberType::kVoip:
      return "voip";
    case NumberType::kPersonalNumber:
      return "personal_number";
    case NumberType::kPager:
      return "pager";
    case NumberType::kUan:
      return "uan";
    case NumberType::kVoicemail:
      return "voicemail";
  }
  return "unknown";
}

bool CountryScope::Allows(std::string_view region) const {
  if (any) return true;
  return std::find(regions.begin(), regions.end(), region) != regions.end();
}

std::string_view LongestPrefixMatch(std::string_view e164,
                                    const std::vector<std::string>& prefixes) {
  std::string_view best;
  for (const std::string& p : prefixes) {
    if (p.size() > best.size() && e164.substr(0, p.size()) == p) best = p;
  }
  return best;
}

Result<NumberInfo> JudgeNumber(const NumberInfo& info, const NumberOptions& options,
                               const CountryScope& scope) {
  if (!info.valid) return Error{Reason::kInvalidNumber, "not a valid phone number"};
  if (info.type == NumberType::kPremiumRate || info.type == NumberType::kSharedCost) {
    return Error{Reason::kPremiumNumber, std::string(NumberTypeName(info.type))};
  }
  if (std::string_view p = LongestPrefixMatch(info.e164, options.high_risk_prefixes); !p.empty()) {
    return Error{Reason::kHighRiskPrefix, std::string(p)};
  }
  if (options.mobile_required && info.type != NumberType::kMobile &&
      info.type != NumberType::kFixedLineOrMobile) {
    return Error{Reason::kNotMobile, std::string(NumberTypeName(info.type))};
  }
  if (!scope.Allows(info.region)) return Error{Reason::kCountryNotAllowed, info.region};
  return info;
}

}  // namespace sd
