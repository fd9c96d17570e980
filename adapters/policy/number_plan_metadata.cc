#include "adapters/policy/number_plan_metadata.h"

#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <list>
#include <map>
#include <set>
#include <string>
#include <utility>

// The serialized PhoneMetadataCollection the library parses at start-up. libphonenumber exports
// these two functions but does not install their header (metadata.h); they are declared here
// exactly as the library defines them, so the table reads the very metadata the library uses.
namespace i18n::phonenumbers {
int metadata_size();
const void* metadata_get();
}  // namespace i18n::phonenumbers

namespace sd {
namespace {

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumberDesc;
using i18n::phonenumbers::PhoneNumberUtil;

NumberPlanDesc Desc(bool present, const PhoneNumberDesc& desc) {
  NumberPlanDesc out;
  if (!present) return out;  // the library matches an absent description against nothing
  out.pattern = desc.national_number_pattern();
  out.possible_lengths.assign(desc.possible_length().begin(), desc.possible_length().end());
  return out;
}

NumberPlanRegion Region(const PhoneMetadata& m) {
  NumberPlanRegion r;
  r.id = m.id();
  auto set = [&](PlanDesc d, NumberPlanDesc desc) { r.descs[static_cast<size_t>(d)] = std::move(desc); };
  set(PlanDesc::kGeneral, Desc(m.has_general_desc(), m.general_desc()));
  set(PlanDesc::kPremiumRate, Desc(m.has_premium_rate(), m.premium_rate()));
  set(PlanDesc::kTollFree, Desc(m.has_toll_free(), m.toll_free()));
  set(PlanDesc::kSharedCost, Desc(m.has_shared_cost(), m.shared_cost()));
  set(PlanDesc::kVoip, Desc(m.has_voip(), m.voip()));
  set(PlanDesc::kPersonalNumber, Desc(m.has_personal_number(), m.personal_number()));
  set(PlanDesc::kPager, Desc(m.has_pager(), m.pager()));
  set(PlanDesc::kUan, Desc(m.has_uan(), m.uan()));
  set(PlanDesc::kVoicemail, Desc(m.has_voicemail(), m.voicemail()));
  set(PlanDesc::kFixedLine, Desc(m.has_fixed_line(), m.fixed_line()));
  set(PlanDesc::kMobile, Desc(m.has_mobile(), m.mobile()));
  r.same_mobile_and_fixed_line_pattern = m.same_mobile_and_fixed_line_pattern();
  if (m.has_leading_digits()) r.leading_digits = m.leading_digits();
  if (m.has_national_prefix_for_parsing()) {
    r.national_prefix_for_parsing = m.national_prefix_for_parsing();
  }
  return r;
}

}  // namespace

NumberPlan LoadLibraryNumberPlan() {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();  // the library's own checks
  PhoneMetadataCollection collection;
  NumberPlan plan;
  if (!collection.ParseFromArray(i18n::phonenumbers::metadata_get(),
                                 i18n::phonenumbers::metadata_size())) {
    return plan;  // an empty plan: every number goes to the library
  }
  // Geographic regions by id; non-geographic entities ("001") by calling code.
  std::map<std::string, const PhoneMetadata*> by_region;
  std::map<int, const PhoneMetadata*> non_geo;
  for (const PhoneMetadata& m : collection.metadata()) {
    if (m.id() == "001") {
      non_geo[m.country_code()] = &m;
    } else {
      by_region[m.id()] = &m;
    }
  }
  std::set<int> codes;
  util.GetSupportedCallingCodes(&codes);
  for (int code : codes) {
    std::list<std::string> regions;
    util.GetRegionCodesForCountryCallingCode(code, &regions);
    std::vector<NumberPlanRegion> out;
    for (const std::string& id : regions) {
      const PhoneMetadata* m = nullptr;
      if (id == "001") {
        auto it = non_geo.find(code);
        if (it != non_geo.end()) m = it->second;
      } else {
        auto it = by_region.find(id);
        if (it != by_region.end()) m = it->second;
      }
      if (m == nullptr) {  // not expected; leave the whole code to the library
        out.clear();
        break;
      }
      out.push_back(Region(*m));
    }
    // A code without regions is still listed: the table must know it exists (so it never
    // calls its numbers unparseable) and, having no regions, leaves them to the library.
    plan.calling_codes.emplace(code, std::move(out));
  }
  return plan;
}

const NumberTable& LibraryNumberTable() {
  static const NumberTable table = NumberTable::Build(LoadLibraryNumberPlan());
  return table;
}

}  // namespace sd
