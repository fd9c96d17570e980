#pragma once
// SMPP 3.4 time fields (section 7.1.1), used for submit_sm validity_period: 16 characters
// "YYMMDDhhmmsstnnp". Absolute: a UTC-offset local time, t tenths of a second, nn the offset
// from UTC in quarter hours (00-48), p '+' (ahead of UTC) or '-' (behind). Relative: p 'R', the
// first twelve digits a duration in years, months, days, hours, minutes, seconds, "tnn" 000.
// Pure: the caller passes the times (ms since the Unix epoch).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sd::smpp {

enum class ValidityMode : uint8_t {
  kOff,       // no validity_period: the SMSC's default applies
  kAbsolute,  // the job's expiry as an absolute UTC time
  kRelative,  // the time left until the job's expiry, from when the part is built
};

// "YYMMDDhhmmsst00+" in UTC for `at_ms` (years 2000-2099; other years clamp into that range).
std::string AbsoluteValidity(int64_t at_ms);
// "YYMMDDhhmmss000R" for a duration (clamped to at least 1 s and at most 99 days, 23:59:59,
// written as days/hours/minutes/seconds: years and months have no fixed length).
std::string RelativeValidity(int64_t duration_ms);
// The validity_period for a job expiring at `expires_ms` (0 = no expiry: empty), built at
// `now_ms`, in `mode`.
std::string ValidityFor(ValidityMode mode, int64_t expires_ms, int64_t now_ms);

// The absolute time (ms since the epoch) a validity_period names, read at `now_ms` (for the
// relative form); nullopt when the field is malformed (the SMSC answers ESME_RINVEXPIRY).
// An empty field is not malformed: it yields nullopt too, so check for empty first.
std::optional<int64_t> ParseValidity(std::string_view field, int64_t now_ms);

}  // namespace sd::smpp
