// Policy checks on the per-job path: destination validation (the number table, libphonenumber
// alone, and through the cache) and content scanning (Hyperscan, ~100 rules, 160-character texts).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

#include "adapters/policy/content_scanner.h"
#include "adapters/policy/phone_number_checker.h"

namespace sd {
namespace {

std::vector<std::string> Destinations() {
  std::vector<std::string> out;
  for (int i = 0; i < 1024; ++i) {
    out.push_back("+4915" + std::to_string(110'000'000 + i * 7919));
    out.back().resize(14, '0');
  }
  return out;
}

// Mobile numbers of many countries (one German range above is the kind of OTP traffic a
// single market sends; these are what an international one does).
std::vector<std::string> WorldDestinations() {
  const char* prefixes[] = {"+44771", "+33612", "+3933", "+3460", "+4860", "+7916", "+9198",
                            "+8613", "+8190", "+6141", "+5511", "+2783", "+23480", "+1201",
                            "+1416", "+9715", "+6281", "+6391", "+8210", "+90532"};
  std::vector<std::string> out;
  for (int i = 0; i < 1024; ++i) {
    std::string n = prefixes[i % 20] + std::to_string(10'000'000 + i * 7919);
    n.resize(std::min<size_t>(n.size(), 13));
    out.push_back(n);
  }
  return out;
}

// A new destination: the table (libphonenumber where it cannot decide), no cache.
void BM_NumberLookupCold(benchmark::State& state) {
  const auto numbers = state.range(0) == 0 ? Destinations() : WorldDestinations();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(PhoneNumberChecker::LookupUncached(numbers[i++ % numbers.size()]));
  }
}
BENCHMARK(BM_NumberLookupCold)->Arg(0)->Arg(1);

// The same numbers through libphonenumber alone (what a new destination cost before the table).
void BM_NumberLookupLibrary(benchmark::State& state) {
  const auto numbers = state.range(0) == 0 ? Destinations() : WorldDestinations();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(PhoneNumberChecker::LookupLibrary(numbers[i++ % numbers.size()]));
  }
}
BENCHMARK(BM_NumberLookupLibrary)->Arg(0)->Arg(1);

void BM_NumberCheckCached(benchmark::State& state) {
  static PhoneNumberChecker checker(
      PhoneNumberChecker::Options{NumberOptions{true, {"+882", "+883", "+37360"}}, 65536});
  const auto numbers = Destinations();
  const CountryScope scope{false, {"DE", "AT", "CH"}};
  for (const auto& n : numbers) (void)checker.Check(n, scope);
  size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(checker.Check(numbers[i++ % numbers.size()], scope));
}
BENCHMARK(BM_NumberCheckCached)->ThreadRange(1, 2);

// ~100 rules like an operator's: 80 keyword rules of 1-3 phrases, 20 regexes.
std::string Rules() {
  std::string t;
  for (int i = 0; i < 80; ++i) {
    t += "[[rule]]\nid = \"kw" + std::to_string(i) + "\"\naction = \"" +
         (i % 4 == 0 ? "flag" : "reject") + "\"\nkeywords = [\"spam phrase " + std::to_string(i) +
         "\", \"win a prize " + std::to_string(i) + "\", \"claim" + std::to_string(i) + "now\"]\n";
  }
  for (int i = 0; i < 20; ++i) {
    t += "[[rule]]\nid = \"re" + std::to_string(i) +
         "\"\naction = \"reject\"\nregex = '\\b(?:" + "promo|bonus|offer)" + std::to_string(i) +
         "[ -]?\\d{3,6}\\b'\n";
  }
  t += "[urls]\ndeny = [\"evil.example\"]\nallow = [\"example.com\"]\n"
       "shorteners = [\"bit.ly\", \"tinyurl.com\", \"t.co\"]\n"
       "[lookalike]\nprotected = [\"example.com\", \"examplebank.com\", \"paypal.com\"]\n";
  return t;
}

const HyperscanContentScanner& Scanner() {
  static const auto* s = [] {
    auto rules = std::get<ContentRules>(ParseContentRules(Rules(), "bench"));
    return std::get<std::unique_ptr<HyperscanContentScanner>>(
               HyperscanContentScanner::Build(std::move(rules), "bench"))
        .release();
  }();
  return *s;
}

void BM_ContentScan(benchmark::State& state, std::string text) {
  const auto& s = Scanner();
  const UrlScope scope{};
  if (!s.Scan(text, scope).ok()) state.SkipWithError("bench text was rejected");
  for (auto _ : state) benchmark::DoNotOptimize(s.Scan(text, scope));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
// 160 characters each.
BENCHMARK_CAPTURE(BM_ContentScan, no_url,
                  std::string("Hello Anna, your order 4711 has shipped and will arrive on "
                              "Thursday between 9 and 12. Reply STOP to opt out. Thanks for "
                              "shopping with us today!!"));
BENCHMARK_CAPTURE(BM_ContentScan, two_urls,
                  std::string("Hello Anna, order 4711 shipped; arrives Thursday 9-12. Track: "
                              "https://track.example.com/p/4711 or www.shop.example.org/help "
                              "Reply STOP to opt out. Thx"));

// Texts outside ASCII: every code point is classified (UTS #46 through ICU, cached per code
// point), so these show what reading hosts by Unicode's rules costs.
BENCHMARK_CAPTURE(BM_ContentScan, cyrillic_no_url,
                  std::string("Здравствуйте, Анна! Ваш заказ 4711 отправлен и прибудет в четверг "
                              "с 9 до 12 часов. Спасибо за покупку!"));
BENCHMARK_CAPTURE(BM_ContentScan, idn_url,
                  std::string("Ваш заказ 4711 отправлен. Отслеживание: пример.рф/заказ/4711 "
                              "или https://bücher.example.de/p/4711 Спасибо!"));

// A look-alike is refused: the cost of the refusal path (resolve, skeletons).
void BM_ContentScanRefused(benchmark::State& state, std::string text) {
  const auto& s = Scanner();
  const UrlScope scope{};
  if (s.Scan(text, scope).ok()) state.SkipWithError("bench text was not refused");
  for (auto _ : state) benchmark::DoNotOptimize(s.Scan(text, scope));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK_CAPTURE(BM_ContentScanRefused, lookalike,
                  std::string("Your account is locked. Verify now at https://p\u0430ypal.com/login "
                              "or it will be closed within 24 hours. Reply STOP to opt out."));

}  // namespace
}  // namespace sd

BENCHMARK_MAIN();
