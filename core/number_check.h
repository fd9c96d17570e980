#pragma once
// Destination validation: a port the number library sits behind, and the pure verdict that
// turns what the library says about a number into a reason under the operator's options and
// the key's country scope. The verdict is here (not in the adapter) so it is testable without
// libphonenumber and identical for every implementation of the port.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sd {

// The kinds of number the library distinguishes (libphonenumber's PhoneNumberType).
enum class NumberType : uint8_t {
  kUnknown,
  kFixedLine,
  kMobile,
  kFixedLineOrMobile,  // regions (e.g. US) where the number itself does not tell
  kTollFree,
  kPremiumRate,
  kSharedCost,
  kVoip,
  kPersonalNumber,
  kPager,
  kUan,
  kVoicemail,
};
std::string_view NumberTypeName(NumberType t);

// What the library found out about one destination string. Depends only on that string, so
// it can be cached by it; everything that depends on options or the key is in the verdict.
struct NumberInfo {
  bool valid = false;
  std::string e164;    // normalised "+<digits>"; empty when not parseable
  std::string region;  // ISO 3166-1 alpha-2 ("GB"), "001" for non-geographic, "ZZ" unknown
  NumberType type = NumberType::kUnknown;
};

// Operator options (config [policy]).
struct NumberOptions {
  // Refuse anything the library does not call MOBILE or FIXED_LINE_OR_MOBILE.
  bool mobile_required = true;
  // Prefixes of E.164 numbers with '+', e.g. "+882", "+37360"; the longest matching prefix
  // names the match in the detail. Digits only after the '+'.
  std::vector<std::string> high_risk_prefixes;
};

// The countries a key may send to (from its scope). `any` lifts the restriction; otherwise
// only the listed ISO regions pass (an empty list then allows nothing: fail closed).
struct CountryScope {
  bool any = true;
  std::vector<std::string> regions;  // upper-case ISO 3166-1 alpha-2
  bool Allows(std::string_view region) const;
};

// The longest entry of `prefixes` that `e164` starts with, or "" when none does.
std::string_view LongestPrefixMatch(std::string_view e164,
                                    const std::vector<std::string>& prefixes);

// The verdict, checked in this order (the first failing check names the reason):
//   invalid_number      not parseable, or not a valid number for its region
//   premium_number      PREMIUM_RATE or SHARED_COST (before not_mobile: it says more)
//   high_risk_prefix    normalised number starts with a configured high-risk prefix
//   not_mobile          mobile_required and type not MOBILE / FIXED_LINE_OR_MOBILE
//   country_not_allowed region outside the key's scope
// Returns the normalised info on success.
Result<NumberInfo> JudgeNumber(const NumberInfo& info, const NumberOptions& options,
                               const CountryScope& scope);

// The port. Implementations must be safe to call from several threads at once.
class NumberChecker {
 public:
  virtual ~NumberChecker() = default;
  // `destination` as producers give it (E.164 with '+'). Never throws.
  virtual Result<NumberInfo> Check(std::string_view destination,
                                   const CountryScope& scope) const = 0;
};

}  // namespace sd
