#pragma once
// Times and durations on the CLI's command lines and in its output (docs/cli.md): ms since the
// epoch, YYYY-MM-DDTHH:MM:SSZ, now, now+24h, now-1h; durations N followed by ms, s, m, h or d.
#include <cstdint>
#include <optional>
#include <string>

namespace sd::cli {

// The wall clock, ms since the epoch.
int64_t WallNowMs();
// Who runs the command, for audit records: $SUDO_USER, else $USER, else "unknown".
std::string LoginName();
// "YYYY-MM-DDTHH:MM:SSZ" of ms since the epoch; "-" for 0.
std::string FormatTime(int64_t ms);
// "24h" -> 86,400,000; nullopt when it is not N (1-12 digits) and a unit.
std::optional<int64_t> ParseDurationMs(const std::string& s);
// A time as above, relative ones against `now`; nullopt when it is none of those forms.
std::optional<int64_t> ParseTimeMs(const std::string& s, int64_t now);

}  // namespace sd::cli
