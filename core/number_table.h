#pragma once
// Validity, type and region of an E.164 number from a table compiled out of the number
// library's own metadata, in one automaton step per digit instead of the library's regular
// expressions (≈ 20–30 µs per new number, the largest cost of a cold destination).
//
// The table answers exactly as libphonenumber's Parse (no default region), GetRegionCodeForNumber
// and GetNumberType do, or not at all: where the library would do something the table does not
// model (strip a national prefix from the digits after the country code, or a pattern in a
// syntax core/digit_regex.h does not compile), Classify returns nothing and the caller asks the
// library. A test compares the two over millions of generated numbers of every region.
//
// The plan (NumberPlan) is plain data: the adapter that links the library fills it from the
// library's metadata, so this file needs no library and does no I/O.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/digit_regex.h"
#include "core/number_check.h"

namespace sd {

// The number descriptions of one region, in the order the library tests them for a type.
enum class PlanDesc : uint8_t {
  kGeneral,
  kPremiumRate,
  kTollFree,
  kSharedCost,
  kVoip,
  kPersonalNumber,
  kPager,
  kUan,
  kVoicemail,
  kFixedLine,
  kMobile,
};
inline constexpr size_t kPlanDescs = 11;

struct NumberPlanDesc {
  std::string pattern;                // full-match regex over the national number; "" matches nothing
  std::vector<int> possible_lengths;  // empty: any length
};

struct NumberPlanRegion {
  std::string id;  // ISO 3166-1 alpha-2, or "001" for a non-geographic calling code
  std::array<NumberPlanDesc, kPlanDescs> descs;
  bool same_mobile_and_fixed_line_pattern = false;
  std::string leading_digits;               // prefix regex choosing the region; may be ""
  std::string national_prefix_for_parsing;  // prefix regex; may be ""
};

// Every calling code the library supports, each with its regions in the library's order (the
// main region first, as GetRegionCodesForCountryCallingCode lists them).
struct NumberPlan {
  std::map<int, std::vector<NumberPlanRegion>> calling_codes;
};

class NumberTable {
 public:
  struct Stats {
    size_t calling_codes = 0;
    size_t regions = 0;
    size_t codes_left_to_library = 0;  // every number of these goes to the library
    size_t states = 0;
    size_t bytes = 0;
    std::vector<std::string> left;  // "+<code> <region>: why", for the log
  };

  // Compiles every region; a region that does not compile leaves its calling code to the
  // library (counted and named in stats()).
  static NumberTable Build(const NumberPlan& plan);

  // What the library would say about `e164` ('+' and digits), or nothing when the table cannot
  // tell and the library must be asked.
  std::optional<NumberInfo> Classify(std::string_view e164) const;

  const Stats& stats() const { return stats_; }

 private:
  struct Region {
    std::string id;
    DigitDfa dfa;
    std::array<uint32_t, kPlanDescs> lengths{};  // bit n: national numbers of n digits
    bool same_mobile_and_fixed_line_pattern = false;
    bool has_leading_digits = false;
    bool has_national_prefix = false;
  };
  struct Code {
    bool compiled = false;
    std::vector<Region> regions;
  };

  static std::optional<Region> CompileRegion(const NumberPlanRegion& in, std::string* why);
  static NumberType TypeOf(const Region& region, uint32_t tags, size_t length);

  std::array<int16_t, 1000> code_index_{};  // calling code -> codes_ index + 1; 0: none
  std::vector<Code> codes_;
  Stats stats_;
};

}  // namespace sd
