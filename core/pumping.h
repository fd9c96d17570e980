#pragma once
// SMS-pumping detection (docs/operations.md, "SMS-pumping defence"). Toll fraud sends bursts
// of OTPs to premium or unusual number ranges through a victim's sign-up form; the key is
// genuine and every single job looks fine, so only the traffic pattern gives it away.
//
// Each rule watches subjects: a destination prefix (calling code + N digits, core/
// calling_code.h), or a key family and a prefix. Per subject it keeps the count of the current
// and previous window (a sliding-window estimate of the last window_ms) and a baseline: an
// exponentially weighted mean of past windows' counts with time constant baseline_ms, learnt
// from the subject's first whole window. A rule fires for a subject when
//   - burst: the estimate is at least min_messages and more than factor x the baseline; or
//   - new prefix: the subject has no whole window yet (never seen, or forgotten after long
//     quiet), it was first seen at least learn_ms after the key (scope key_prefix) or the
//     daemon (scope prefix) was, so the prefixes used while learning count as known, and the
//     estimate reaches new_prefix_messages.
// After firing, a subject stays quiet for block_ms (action block) or window_ms (alert), so one
// burst raises one alert or block. Memory is bounded: at most `capacity` subjects per rule
// (new ones beyond are not tracked, and counted).
//
// Not thread-safe: the dispatcher observes on its loop thread only. No I/O, no clock of its
// own: `now_ms` is passed in.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/job.h"

namespace sd {

enum class PumpingScope : uint8_t { kPrefix, kKeyPrefix };
enum class PumpingAction : uint8_t { kAlert, kBlock };

struct PumpingRule {
  std::string name;
  PumpingScope scope = PumpingScope::kKeyPrefix;
  int prefix_digits = 2;  // digits after the calling code
  uint8_t kinds = 0;      // bit (1 << JobKind) per kind watched; 0 = every kind
  int64_t window_ms = 60'000;
  int64_t baseline_ms = 3'600'000;
  double factor = 10;
  int64_t min_messages = 20;
  int64_t new_prefix_messages = 10;  // 0 = no new-prefix detection
  int64_t learn_ms = 3'600'000;
  PumpingAction action = PumpingAction::kAlert;
  int64_t block_ms = 3'600'000;
  size_t capacity = 65'536;
};

struct PumpingHit {
  const PumpingRule* rule = nullptr;
  std::string key_family;  // the subject's key family; "" for scope prefix
  std::string prefix;
  bool new_prefix = false;  // fired by the new-prefix test (else a burst)
  std::string detail;       // "N messages in the last W s to P for key K (baseline B)"
};

struct PumpingRuleStats {
  std::string name;
  uint64_t alerts = 0;
  uint64_t blocks = 0;
  uint64_t untracked = 0;  // observations of new subjects while the table was full
  size_t tracked = 0;
};

class PumpingDetector {
 public:
  // `previous`: the detector of the policy snapshot this one replaces; a rule whose name,
  // scope, prefix digits and window are unchanged keeps its subjects (and the keys it has
  // seen), so a reload forgets no baseline.
  PumpingDetector(std::vector<PumpingRule> rules, int64_t now_ms,
                  const PumpingDetector* previous = nullptr);
  PumpingDetector(const PumpingDetector&) = delete;
  PumpingDetector& operator=(const PumpingDetector&) = delete;

  // One attempted job of key `key_id` to `destination` (E.164): the rules that fire now.
  std::vector<PumpingHit> Observe(std::string_view key_id, std::string_view destination,
                                  JobKind kind, int64_t now_ms);
  // Forgets subjects and keys quiet for 3 x baseline_ms (call now and then).
  void Sweep(int64_t now_ms);

  std::vector<PumpingRuleStats> Stats() const;
  const std::vector<PumpingRule>& rules() const { return rules_; }

 private:
  struct Subject {
    int64_t window_start = 0;
    int64_t cur = 0;
    int64_t prev = 0;
    double baseline = 0;
    bool established = false;  // a whole window has passed: the baseline is learnt
    int64_t first_ms = 0;
    int64_t last_ms = 0;
    int64_t quiet_until = 0;
  };
  struct RuleState {
    std::unordered_map<std::string, Subject> subjects;    // "<family>|<prefix>"
    std::unordered_map<std::string, int64_t> first_seen;  // key family -> first observation
    int64_t started_ms = 0;
    uint64_t alerts = 0;
    uint64_t blocks = 0;
    uint64_t untracked = 0;
  };

  static void Roll(const PumpingRule& r, Subject& s, int64_t now_ms);
  bool Fires(const PumpingRule& r, RuleState& st, std::string_view family, Subject& s,
             int64_t now_ms, PumpingHit* hit) const;

  std::vector<PumpingRule> rules_;
  std::vector<std::shared_ptr<RuleState>> state_;  // per rule; shared with a reloaded detector
};

}  // namespace sd
