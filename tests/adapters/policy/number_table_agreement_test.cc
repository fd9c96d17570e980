// The number table (core/number_table.h, compiled from libphonenumber's own metadata) against
// libphonenumber itself over a large generated sample of every calling code and region:
// wherever the table answers, its answer (validity, E.164 form, region, type) is the library's.
// SD_NUMBER_SAMPLE sets the sample size (default 2,000,000 numbers).
#include <gtest/gtest.h>
#include <phonenumbers/phonenumberutil.h>

#include <cstdlib>
#include <list>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "adapters/policy/number_plan_metadata.h"
#include "adapters/policy/phone_number_checker.h"
#include "core/addresses.h"

namespace sd {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

struct Seed {
  int code = 0;
  std::vector<std::string> examples;  // national significant numbers of the code's regions
};

// Every supported calling code with the library's example numbers of every type of each of its
// regions: numbers derived from them reach every pattern of the plan, valid and invalid.
std::vector<Seed> Seeds() {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::set<int> codes;
  util.GetSupportedCallingCodes(&codes);
  std::vector<Seed> seeds;
  for (int code : codes) {
    Seed seed{code, {}};
    std::list<std::string> regions;
    util.GetRegionCodesForCountryCallingCode(code, &regions);
    for (const std::string& region : regions) {
      for (int t = PhoneNumberUtil::FIXED_LINE; t <= PhoneNumberUtil::VOICEMAIL; ++t) {
        PhoneNumber n;
        const bool ok = region == "001"
                            ? util.GetExampleNumberForNonGeoEntity(code, &n)
                            : util.GetExampleNumberForType(
                                  region, static_cast<PhoneNumberUtil::PhoneNumberType>(t), &n);
        if (!ok) continue;
        std::string nsn;
        util.GetNationalSignificantNumber(n, &nsn);
        seed.examples.push_back(nsn);
      }
    }
    seeds.push_back(std::move(seed));
  }
  return seeds;
}

// An example with its tail re-drawn and its length nudged by up to two digits, or (three in
// ten) digits drawn at random: most are plausible, many invalid, every type appears.
std::string Variant(const Seed& seed, std::mt19937_64& rng) {
  std::string nsn;
  if (!seed.examples.empty() && rng() % 10 < 7) {
    nsn = seed.examples[rng() % seed.examples.size()];
    for (size_t k = rng() % (nsn.size() + 1); k < nsn.size(); ++k) nsn[k] = char('0' + rng() % 10);
    const int delta = static_cast<int>(rng() % 5) - 2;
    for (int k = 0; k < delta; ++k) nsn.push_back(char('0' + rng() % 10));
    if (delta < 0 && nsn.size() > 4) nsn.resize(nsn.size() - static_cast<size_t>(-delta));
  } else {
    nsn.resize(4 + rng() % 11);
    for (char& c : nsn) c = char('0' + rng() % 10);
  }
  return "+" + std::to_string(seed.code) + nsn;
}

size_t SampleSize() {
  const char* env = std::getenv("SD_NUMBER_SAMPLE");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 2'000'000;
}

TEST(NumberTableAgreement, EveryRegionCompiles) {
  const NumberTable& table = LibraryNumberTable();
  std::set<int> codes;
  PhoneNumberUtil::GetInstance()->GetSupportedCallingCodes(&codes);
  EXPECT_EQ(table.stats().calling_codes, codes.size());
  EXPECT_EQ(table.stats().codes_left_to_library, 0u)
      << (table.stats().left.empty() ? "" : table.stats().left.front());
}

TEST(NumberTableAgreement, TableAnswersAsTheLibraryDoes) {
  const NumberTable& table = LibraryNumberTable();
  const std::vector<Seed> seeds = Seeds();
  std::mt19937_64 rng(20261204);
  const size_t sample = SampleSize();
  size_t compared = 0, answered = 0, mismatches = 0;
  std::map<std::string, size_t> valid_by_region;     // the library's valid numbers
  std::map<std::string, size_t> answered_by_region;  // of those, answered by the table
  for (size_t i = 0; i < sample; ++i) {
    const Seed& seed = seeds[i < seeds.size() ? i : rng() % seeds.size()];
    const std::string number = Variant(seed, rng);
    if (!IsE164(number)) continue;  // refused before table or library (LookupUncached)
    ++compared;
    const NumberInfo want = PhoneNumberChecker::LookupLibrary(number);
    const std::optional<NumberInfo> got = table.Classify(number);
    if (want.valid) ++valid_by_region[want.region];
    if (!got) continue;
    ++answered;
    if (want.valid) ++answered_by_region[want.region];
    const bool same = got->valid == want.valid && got->e164 == want.e164 &&
                      got->region == want.region && got->type == want.type;
    if (!same && ++mismatches <= 20) {
      ADD_FAILURE() << number << ": table " << got->valid << " " << got->e164 << " "
                    << got->region << " " << NumberTypeName(got->type) << ", library "
                    << want.valid << " " << want.e164 << " " << want.region << " "
                    << NumberTypeName(want.type);
    }
  }
  EXPECT_EQ(mismatches, 0u);
  // The sample reaches every region the library knows, with valid numbers.
  std::set<std::string> regions;
  PhoneNumberUtil::GetInstance()->GetSupportedRegions(&regions);
  for (const std::string& r : regions) EXPECT_GT(valid_by_region[r], 0u) << r;
  EXPECT_GT(valid_by_region["001"], 0u);
  // And the table answers most of it: only national-prefix look-alikes go to the library.
  EXPECT_GT(answered, compared * 9 / 10);
  size_t regions_answered = 0;
  std::string library_only;  // regions whose valid numbers all went to the library
  for (const auto& [region, n] : valid_by_region) {
    if (answered_by_region[region] > 0) {
      ++regions_answered;
    } else {
      library_only += " " + region;
    }
  }
  std::printf("[ sample   ] %zu numbers, %zu answered by the table (%.2f %%), %zu regions with "
              "valid numbers, %zu of them answered by the table; library only:%s\n",
              compared, answered, 100.0 * double(answered) / double(compared),
              valid_by_region.size(), regions_answered, library_only.c_str());
}

}  // namespace
}  // namespace sd
