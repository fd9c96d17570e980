#pragma once
// Quiet hours (docs/policy.md, "Quiet hours"): no job of the listed kinds reaches a recipient
// between, say, 21:00 and 08:00 on the recipient's own clock. A number may be in several time
// zones (a country spanning many, or a number plan that does not tell): a job is held until it
// is outside the quiet window in every one of them, which is the opening of the latest-starting
// zone, so no recipient is woken. Pure: the clock is the caller's `now`, and the zones' UTC
// offsets come from a LocalTimes port (adapters/policy/icu_local_times.h, which places a number
// by libphonenumber's prefix-to-zone data), asked again at each
// candidate instant so a daylight-saving change in between is taken into account.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/job.h"
#include "core/number_check.h"

namespace sd {

// Where a number's recipient may be, as the number checks found it (core/number_check.h).
struct NumberPlace {
  std::string_view e164;                   // "+<digits>"
  NumberType type = NumberType::kUnknown;  // a mobile number may not tell its area
};

// A number's possible time zones as one small id, so that a job can carry them from the
// decision to the submit gate without placing its number again. kNoZones: unknown.
using ZoneSet = int32_t;
inline constexpr ZoneSet kNoZones = -1;

// The recipient's clocks: which zones a number may be in (Place), and the UTC offsets, in
// minutes, that those zones' clocks show at `utc_ms` (OffsetsAt), in the same zone order on
// every call for the same set. Both are const and safe to call from any thread.
class LocalTimes {
 public:
  virtual ~LocalTimes() = default;
  virtual ZoneSet Place(const NumberPlace& number) const = 0;
  virtual void OffsetsAt(ZoneSet zones, int64_t utc_ms, std::vector<int>* out) const = 0;
};

struct QuietRule {
  uint8_t kinds = 0;  // a bit per JobKind
  int start_min = 0;  // minutes after local midnight: quiet from here ...
  int end_min = 0;    // ... to here (start > end: across midnight)
  std::string text;   // "21:00-08:00", for details
};

struct QuietVerdict {
  const QuietRule* rule = nullptr;  // null: not quiet (or the zone is unknown)
  int64_t opens_ms = 0;             // when it may go; 0: never within two days (zones too far
                                    // apart for their windows to meet)
};

class QuietHours {
 public:
  QuietHours(std::vector<QuietRule> rules, std::shared_ptr<const LocalTimes> times)
      : rules_(std::move(rules)), times_(std::move(times)) {}

  // Whether a job of `kind` to a number in `zones` (LocalTimes::Place) may go at `now_ms`, and
  // if not, when. Unknown zones are not held (docs/policy.md).
  QuietVerdict Check(JobKind kind, ZoneSet zones, int64_t now_ms) const;
  const std::vector<QuietRule>& rules() const { return rules_; }

 private:
  std::vector<QuietRule> rules_;
  std::shared_ptr<const LocalTimes> times_;
};

// "21:00" -> 1260; nullopt unless HH:MM with HH 00-23 and MM 00-59.
std::optional<int> ParseClockTime(std::string_view hhmm);

}  // namespace sd
