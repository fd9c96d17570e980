#include "bench/e2e/message_mix.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "core/sms_text.h"

namespace sd::bench {
namespace {

// Words for long texts. Short (at most 12 septets or UTF-16 units with the separator), so
// that one more word never jumps a whole segment. The GSM words carry extension-table
// characters (two septets each, never split from their escape); the UCS-2 words carry a
// character outside the BMP (a surrogate pair, never split either).
const std::vector<std::string>& GsmWords() {
  static const std::vector<std::string> w{
      "Your",  "parcel", "{ref}", "arrives", "today", "between", "10",   "and", "12.",    "Fee:",
      "€4.50", "[paid]", "Reply", "STOP",    "to",    "opt",     "out;", "see", "~terms", "a|b"};
  return w;
}
const std::vector<std::string>& Ucs2Words() {
  static const std::vector<std::string> w{"Ваша",     "посылка", "прибудет", "сегодня",   "между",
                                          "10",       "и",       "12",       "часами",    "🙂",
                                          "Ответьте", "СТОП",    "чтобы",    "отписаться"};
  return w;
}

int Segments(const std::string& text) {
  if (text.empty()) return 0;
  auto encoded = EncodeText(text);
  return encoded.ok() ? encoded->segments : 0;
}

// Words appended until the text needs `target` segments, then a few more that keep it
// there, so lengths vary within the segment count.
std::string Grow(const std::vector<std::string>& words, int target, std::mt19937_64& rng) {
  std::string text;
  auto word = [&] { return words[rng() % words.size()]; };
  while (Segments(text) < target) text += (text.empty() ? "" : " ") + word();
  const int extra = static_cast<int>(rng() % 24);
  for (int i = 0; i < extra; ++i) {
    std::string longer = text + " " + word();
    if (Segments(longer) != target) break;
    text = std::move(longer);
  }
  return text;
}

}  // namespace

std::optional<MessageMix> ParseMix(std::string_view text, std::string* error) {
  auto fail = [error](std::string why) -> std::optional<MessageMix> {
    if (error != nullptr) *error = std::move(why);
    return std::nullopt;
  };
  double v[3];
  size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    const size_t colon = text.find(':', start);
    if ((i < 2) != (colon != std::string_view::npos)) {
      return fail("expected three shares gsm:ucs2:long, e.g. 70:20:10");
    }
    const std::string field(text.substr(
        start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    char* end = nullptr;
    errno = 0;
    v[i] = strtod(field.c_str(), &end);
    if (field.empty() || errno != 0 || *end != '\0' || !std::isfinite(v[i]) || v[i] < 0) {
      return fail("'" + field + "' is not a non-negative number");
    }
    start = colon + 1;
  }
  const double sum = v[0] + v[1] + v[2];
  if (sum <= 0) {
    return fail("the shares add up to 0");
  }
  return MessageMix{v[0] / sum, v[1] / sum, v[2] / sum};
}

std::string MixLabel(const MessageMix& mix) {
  char b[96];
  snprintf(b, sizeof b, "%.4g:%.4g:%.4g", mix.gsm * 100, mix.ucs2 * 100, mix.long_text * 100);
  return b;
}

TextMaker::TextMaker(const MessageMix& mix, uint64_t seed) : mix_(mix), rng_(seed) {
  if (mix_.long_text <= 0) return;
  constexpr int kVariants = 8;  // per segment count and coding
  for (int segments = 2; segments <= 4; ++segments) {
    for (int v = 0; v < kVariants; ++v) {
      for (const auto* words : {&GsmWords(), &Ucs2Words()}) {
        MixedText t;
        t.kind = TextKind::kLong;
        t.text = Grow(*words, segments, rng_);
        t.segments = Segments(t.text);
        long_pool_.push_back(std::move(t));
      }
    }
  }
}

MixedText TextMaker::Next() {
  const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
  MixedText t;
  char code[8];
  snprintf(code, sizeof code, "%06u", static_cast<unsigned>(rng_() % 1'000'000));
  if (u < mix_.gsm || (mix_.ucs2 <= 0 && long_pool_.empty())) {
    t.kind = TextKind::kGsm;
    t.text = std::string("Your code is ") + code;
  } else if (u < mix_.gsm + mix_.ucs2 || long_pool_.empty()) {
    t.kind = TextKind::kUcs2;
    t.text = std::string("Ваш код ") + code;
  } else {
    return long_pool_[rng_() % long_pool_.size()];
  }
  t.segments = Segments(t.text);
  return t;
}

void MixCounts::Add(const MixedText& t) {
  switch (t.kind) {
    case TextKind::kGsm:
      ++gsm;
      break;
    case TextKind::kUcs2:
      ++ucs2;
      break;
    case TextKind::kLong:
      ++long_texts;
      break;
  }
  segments += static_cast<uint64_t>(t.segments);
}

}  // namespace sd::bench
