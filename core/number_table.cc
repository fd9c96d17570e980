#include "core/number_table.h"

#include <utility>

namespace sd {
namespace {

// Tag bits of a region's automaton: one per description, then the two prefix patterns.
constexpr uint32_t DescBit(PlanDesc d) { return 1u << static_cast<uint32_t>(d); }
constexpr uint32_t kLeadingDigitsBit = 1u << kPlanDescs;
constexpr uint32_t kNationalPrefixBit = 1u << (kPlanDescs + 1);

// Large plans compile to a few thousand states; the bound only stops a pathological pattern.
constexpr size_t kMaxStatesPerRegion = 1u << 18;

// National significant numbers run to 17 digits in the library (kMaxLengthForNsn).
constexpr size_t kMaxNationalLength = 17;

uint32_t LengthMask(const std::vector<int>& lengths) {
  if (lengths.empty()) return ~0u;  // the library checks no length when none is listed
  uint32_t mask = 0;
  for (int n : lengths) {
    if (n >= 0 && n < 32) mask |= 1u << n;  // -1 means "no numbers of this kind"
  }
  return mask;
}

}  // namespace

std::optional<NumberTable::Region> NumberTable::CompileRegion(const NumberPlanRegion& in,
                                                              std::string* why) {
  std::vector<DigitPattern> patterns;
  for (size_t d = 0; d < kPlanDescs; ++d) {
    const std::string& re = in.descs[d].pattern;
    // An empty pattern matches nothing in the library (RegexBasedMatcher): leave it out.
    if (!re.empty()) patterns.push_back(DigitPattern{re, 1u << d, false});
  }
  if (!in.leading_digits.empty()) {
    patterns.push_back(DigitPattern{in.leading_digits, kLeadingDigitsBit, true});
  }
  if (!in.national_prefix_for_parsing.empty()) {
    patterns.push_back(DigitPattern{in.national_prefix_for_parsing, kNationalPrefixBit, true});
  }
  Result<DigitDfa> dfa = CompileDigitPatterns(patterns, kMaxStatesPerRegion);
  if (!dfa.ok()) {
    *why = dfa.error().detail;
    return std::nullopt;
  }
  Region out;
  out.id = in.id;
  out.dfa = std::move(dfa.value());
  for (size_t d = 0; d < kPlanDescs; ++d) out.lengths[d] = LengthMask(in.descs[d].possible_lengths);
  out.same_mobile_and_fixed_line_pattern = in.same_mobile_and_fixed_line_pattern;
  out.has_leading_digits = !in.leading_digits.empty();
  out.has_national_prefix = !in.national_prefix_for_parsing.empty();
  return out;
}

NumberTable NumberTable::Build(const NumberPlan& plan) {
  NumberTable table;
  for (const auto& [code, regions] : plan.calling_codes) {
    if (code <= 0 || code >= 1000) continue;
    Code entry;
    entry.compiled = !regions.empty();  // a code without regions: the library's to answer
    for (const NumberPlanRegion& r : regions) {
      std::string why;
      std::optional<Region> region = CompileRegion(r, &why);
      ++table.stats_.regions;
      if (!region) {
        entry.compiled = false;
        table.stats_.left.push_back("+" + std::to_string(code) + " " + r.id + ": " + why);
        break;
      }
      table.stats_.states += region->dfa.states();
      table.stats_.bytes += region->dfa.bytes();
      entry.regions.push_back(std::move(*region));
    }
    if (!entry.compiled) {
      if (regions.empty()) table.stats_.left.push_back("+" + std::to_string(code) + ": no regions");
      entry.regions.clear();
      ++table.stats_.codes_left_to_library;
    }
    table.codes_.push_back(std::move(entry));
    table.code_index_[static_cast<size_t>(code)] = static_cast<int16_t>(table.codes_.size());
    ++table.stats_.calling_codes;
  }
  return table;
}

// GetNumberTypeHelper's order: general description first, then premium rate, toll free,
// shared cost, VoIP, personal, pager, UAN, voicemail, then fixed line and mobile together.
NumberType NumberTable::TypeOf(const Region& region, uint32_t tags, size_t length) {
  auto matches = [&](PlanDesc d) {
    const auto i = static_cast<size_t>(d);
    return (tags & DescBit(d)) != 0 && length < 32 && ((region.lengths[i] >> length) & 1u) != 0;
  };
  if (!matches(PlanDesc::kGeneral)) return NumberType::kUnknown;
  static constexpr std::pair<PlanDesc, NumberType> kSpecial[] = {
      {PlanDesc::kPremiumRate, NumberType::kPremiumRate},
      {PlanDesc::kTollFree, NumberType::kTollFree},
      {PlanDesc::kSharedCost, NumberType::kSharedCost},
      {PlanDesc::kVoip, NumberType::kVoip},
      {PlanDesc::kPersonalNumber, NumberType::kPersonalNumber},
      {PlanDesc::kPager, NumberType::kPager},
      {PlanDesc::kUan, NumberType::kUan},
      {PlanDesc::kVoicemail, NumberType::kVoicemail},
  };
  for (const auto& [desc, type] : kSpecial) {
    if (matches(desc)) return type;
  }
  if (matches(PlanDesc::kFixedLine)) {
    if (region.same_mobile_and_fixed_line_pattern || matches(PlanDesc::kMobile)) {
      return NumberType::kFixedLineOrMobile;
    }
    return NumberType::kFixedLine;
  }
  if (!region.same_mobile_and_fixed_line_pattern && matches(PlanDesc::kMobile)) {
    return NumberType::kMobile;
  }
  return NumberType::kUnknown;
}

std::optional<NumberInfo> NumberTable::Classify(std::string_view e164) const {
  if (e164.size() < 2 || e164[0] != '+') return std::nullopt;
  const std::string_view digits = e164.substr(1);
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  // The calling code: the first 1, 2 or 3 digits that name one (they are prefix-free).
  const Code* code = nullptr;
  size_t code_digits = 0;
  size_t value = 0;
  for (size_t i = 0; i < 3 && i < digits.size() && digits[0] != '0'; ++i) {
    value = value * 10 + static_cast<size_t>(digits[i] - '0');
    if (code_index_[value] != 0) {
      code = &codes_[static_cast<size_t>(code_index_[value] - 1)];
      code_digits = i + 1;
      break;
    }
  }
  if (code == nullptr) return NumberInfo{};  // the library's INVALID_COUNTRY_CODE: not parsed
  if (!code->compiled) return std::nullopt;
  const std::string_view national = digits.substr(code_digits);
  // Parse's short, long and national-prefix cases are the library's to decide.
  if (national.size() <= 2 || national.size() > kMaxNationalLength) return std::nullopt;
  const Region& main = code->regions.front();
  const uint32_t main_tags = main.dfa.Run(national);
  if (main.has_national_prefix && (main_tags & kNationalPrefixBit) != 0) return std::nullopt;

  NumberInfo info;
  info.e164 = std::string(e164);
  const Region* region = nullptr;
  uint32_t tags = main_tags;
  if (code->regions.size() == 1) {
    region = &main;
  } else {  // GetRegionCodeForNumberFromRegionList
    for (const Region& r : code->regions) {
      const uint32_t t = &r == &main ? main_tags : r.dfa.Run(national);
      const bool chosen = r.has_leading_digits ? (t & kLeadingDigitsBit) != 0
                                               : TypeOf(r, t, national.size()) != NumberType::kUnknown;
      if (chosen) {
        region = &r;
        tags = t;
        break;
      }
    }
  }
  if (region == nullptr) {
    info.region = "ZZ";  // no region claims it: the library has no metadata, type UNKNOWN
    return info;
  }
  info.region = region->id;
  info.type = TypeOf(*region, tags, national.size());
  info.valid = info.type != NumberType::kUnknown;
  return info;
}

}  // namespace sd
