#include "adapters/smpp/validity_period.h"

#include <algorithm>

namespace sd::smpp {
namespace {

constexpr int64_t kDayMs = 86'400'000;

// Days since 1970-01-01 for a civil date, and back (Howard Hinnant's algorithms): no time zone
// database and no locale, so the result is the same on every machine.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool Digits(std::string_view s, size_t at, size_t n, int* out) {
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// Appends `value` (0 <= value < 10^width) as exactly `width` decimal digits.
void AppendDigits(std::string* out, int64_t value, int width) {
  char digits[4];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out->append(digits, static_cast<size_t>(width));
}

}  // namespace

std::string AbsoluteValidity(int64_t at_ms) {
  const int64_t lo = DaysFromCivil(2000, 1, 1) * kDayMs;
  const int64_t hi = DaysFromCivil(2100, 1, 1) * kDayMs - 1;
  at_ms = std::clamp(at_ms, lo, hi);
  const int64_t days = at_ms / kDayMs;
  const int64_t in_day = at_ms % kDayMs;
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  // SMPP 3.4 §7.1.1: YYMMDDhhmmsstnnp, in UTC ("00+": no offset from UTC).
  std::string out;
  out.reserve(16);
  AppendDigits(&out, y % 100, 2);
  AppendDigits(&out, m, 2);
  AppendDigits(&out, d, 2);
  AppendDigits(&out, in_day / 3'600'000, 2);
  AppendDigits(&out, in_day / 60'000 % 60, 2);
  AppendDigits(&out, in_day / 1000 % 60, 2);
  AppendDigits(&out, in_day / 100 % 10, 1);
  out += "00+";
  return out;
}

std::string RelativeValidity(int64_t duration_ms) {
  // Relative form: YYMMDDhhmmss000R. Years and months are left 0 (their length varies by
  // SMSC); up to 99 days fit in DD.
  const int64_t s = std::clamp<int64_t>((duration_ms + 999) / 1000, 1, 100 * 86'400 - 1);
  std::string out = "0000";
  out.reserve(16);
  AppendDigits(&out, s / 86'400, 2);
  AppendDigits(&out, s / 3600 % 24, 2);
  AppendDigits(&out, s / 60 % 60, 2);
  AppendDigits(&out, s % 60, 2);
  out += "000R";
  return out;
}

std::string ValidityFor(ValidityMode mode, int64_t expires_ms, int64_t now_ms) {
  if (expires_ms <= 0) return {};
  switch (mode) {
    case ValidityMode::kOff:
      return {};
    case ValidityMode::kAbsolute:
      return AbsoluteValidity(expires_ms);
    case ValidityMode::kRelative:
      return RelativeValidity(expires_ms - now_ms);
  }
  return {};
}

std::optional<int64_t> ParseValidity(std::string_view f, int64_t now_ms) {
  if (f.size() != 16) return std::nullopt;
  int yy = 0, mo = 0, dd = 0, hh = 0, mi = 0, ss = 0, t = 0, nn = 0;
  if (!Digits(f, 0, 2, &yy) || !Digits(f, 2, 2, &mo) || !Digits(f, 4, 2, &dd) ||
      !Digits(f, 6, 2, &hh) || !Digits(f, 8, 2, &mi) || !Digits(f, 10, 2, &ss) ||
      !Digits(f, 12, 1, &t) || !Digits(f, 13, 2, &nn)) {
    return std::nullopt;
  }
  if (f[15] == 'R') {
    // Years and months have no fixed length: 365 and 30 days, as SMSCs commonly read them.
    const int64_t days = yy * 365LL + mo * 30LL + dd;
    return now_ms + (((days * 24 + hh) * 60 + mi) * 60 + ss) * 1000;
  }
  if (f[15] != '+' && f[15] != '-') return std::nullopt;
  if (mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59 || nn > 48) {
    return std::nullopt;
  }
  const int64_t local =
      (DaysFromCivil(2000 + yy, static_cast<unsigned>(mo), static_cast<unsigned>(dd)) * 86'400 +
       hh * 3600 + mi * 60 + ss) *
          1000 +
      t * 100;
  const int64_t offset = nn * 15LL * 60'000;
  return f[15] == '+' ? local - offset : local + offset;  // '+': local time ahead of UTC
}

}  // namespace sd::smpp
