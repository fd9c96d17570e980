#pragma once
// The texts a benchmark run sends (--mix gsm:ucs2:long): single-part GSM 03.38 OTPs,
// single-part UCS-2 OTPs (characters GSM cannot carry), and long texts of 2 to 4 segments.
// Segments are counted with core's EncodeText, the count the daemon charges and splits by
// (8-bit UDH sizes), so "segments submitted" can be checked against what was generated.
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace sd::bench {

// Shares of each kind, normalised to a sum of 1.
struct MessageMix {
  double gsm = 1.0;
  double ucs2 = 0.0;
  double long_text = 0.0;
};

// Parses "70:20:10" (gsm:ucs2:long): three non-negative numbers (integers or decimals) with a
// positive sum. nullopt, with the reason in *error, otherwise.
std::optional<MessageMix> ParseMix(std::string_view text, std::string* error);
// "70:20:10" back, in percent.
std::string MixLabel(const MessageMix& mix);

enum class TextKind { kGsm, kUcs2, kLong };

struct MixedText {
  TextKind kind = TextKind::kGsm;
  std::string text;  // UTF-8, as a producer puts it in the job
  int segments = 1;  // EncodeText(text).segments
};

// Makes the texts of one run, deterministically from a seed. Long texts are prepared once
// (a pool of variants per segment count, half GSM with extension-table characters, half
// UCS-2 with a character outside the BMP) so that picking one costs nothing per job.
class TextMaker {
 public:
  TextMaker(const MessageMix& mix, uint64_t seed);

  MixedText Next();

  const std::vector<MixedText>& long_pool() const { return long_pool_; }

 private:
  MessageMix mix_;
  std::mt19937_64 rng_;
  std::vector<MixedText> long_pool_;
};

// What a run's jobs are, counted while they are made.
struct MixCounts {
  uint64_t gsm = 0, ucs2 = 0, long_texts = 0;
  uint64_t segments = 0;  // the sum of MixedText::segments
  void Add(const MixedText& t);
  uint64_t jobs() const { return gsm + ucs2 + long_texts; }
};

}  // namespace sd::bench
