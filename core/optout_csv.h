#pragma once
// The opt-out lists operators bring from a previous provider (`smsdispatch optouts import`,
// docs/inbound.md): CSV exports differ in column names and number formats, so the reader is
// lenient in what it finds and strict in what it takes. A header row is recognised when its
// first field holds no digit; the number column is the first whose name is one of number,
// phone, phone_number, phonenumber, mobile, msisdn, to, recipient, destination, e164 (any
// case), else the first column. Fields may be quoted ("..." with "" inside). Numbers may be
// written "+44 7700 900123", "(+44) 7700-900123", "00447700900123" or "447700900123"; digits
// alone are read as international (say so in the docs: a national export must be converted).
// Every line that does not give an E.164 number is a problem "line N: why", never skipped
// silently.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sd {

struct OptOutCsv {
  std::vector<std::string> numbers;   // E.164, in file order (duplicates kept: the writer skips)
  std::vector<std::string> problems;  // "line 12: 'abc' is not a phone number"
  size_t problem_count = 0;           // all of them; `problems` keeps the first max_problems
  size_t lines = 0;                   // data lines read (not the header or blank lines)
};

inline constexpr size_t kMaxCsvLine = 4096;

OptOutCsv ParseOptOutCsv(std::string_view text, size_t max_problems = 20);
// "+44 7700-900123" -> "+447700900123"; nullopt when it is not a number in E.164.
std::optional<std::string> NormalizeImportedNumber(std::string_view raw);

}  // namespace sd
