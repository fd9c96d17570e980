#include "daemon/cli/cli_time.h"

#include <time.h>

#include <chrono>
#include <cstdlib>
#include <map>

#include "daemon/cli/args.h"

namespace sd::cli {

std::string FormatTime(int64_t ms) {
  if (ms == 0) return "-";
  const time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<int64_t> ParseDurationMs(const std::string& s) {
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0 || digits > 12) return std::nullopt;
  const std::optional<int64_t> n = ParseInt(s.substr(0, digits));
  const std::string unit = s.substr(digits);
  if (!n) return std::nullopt;
  static const std::map<std::string, int64_t> kUnits{
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  const auto it = kUnits.find(unit);
  if (it == kUnits.end()) return std::nullopt;
  return *n * it->second;
}

std::optional<int64_t> ParseTimeMs(const std::string& s, int64_t now) {
  if (s == "now") return now;
  if (s.rfind("now+", 0) == 0 || s.rfind("now-", 0) == 0) {
    const auto d = ParseDurationMs(s.substr(4));
    if (!d) return std::nullopt;
    return s[3] == '+' ? now + *d : now - *d;
  }
  if (const auto ms = ParseInt(s)) return *ms;
  // YYYY-MM-DDTHH:MM:SSZ
  struct tm tm {};
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

int64_t WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string LoginName() {
  const char* user = getenv("SUDO_USER");
  if (user == nullptr || *user == '\0') user = getenv("USER");
  return user != nullptr && *user != '\0' ? user : "unknown";
}

}  // namespace sd::cli
