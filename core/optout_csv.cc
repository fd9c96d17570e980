#include "core/optout_csv.h"

#include <algorithm>
#include <array>

#include "core/addresses.h"
#include "core/log_safe.h"

namespace sd {
namespace {

// The fields of one CSV line: comma separated, "..." quoted with "" for a quote.
std::vector<std::string> SplitCsv(std::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',' || c == ';' || c == '\t') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r') continue;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 0x20) : c;
  }
  return out;
}

bool HasDigit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

size_t NumberColumn(const std::vector<std::string>& header) {
  static constexpr std::array<std::string_view, 10> kNames = {
      "number", "phone", "phone_number", "phonenumber", "mobile",
      "msisdn", "to",    "recipient",    "destination", "e164"};
  for (size_t i = 0; i < header.size(); ++i) {
    if (std::find(kNames.begin(), kNames.end(), Lower(header[i])) != kNames.end()) return i;
  }
  return 0;
}

}  // namespace

std::optional<std::string> NormalizeImportedNumber(std::string_view raw) {
  std::string digits;
  bool plus = false;
  for (char c : raw) {
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')' && c != '\t' && c != '\r') {
      return std::nullopt;
    }
  }
  if (!plus && digits.size() > 2 && digits.compare(0, 2, "00") == 0) digits.erase(0, 2);
  std::string e164 = "+" + digits;
  if (!IsE164(e164)) return std::nullopt;
  return e164;
}

OptOutCsv ParseOptOutCsv(std::string_view text, size_t max_problems) {
  OptOutCsv out;
  size_t column = 0;
  size_t line_no = 0;
  bool first = true;
  auto problem = [&](std::string why) {
    if (out.problems.size() < max_problems) {
      out.problems.push_back("line " + std::to_string(line_no) + ": " + std::move(why));
    }
    ++out.problem_count;
  };
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // BOM
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (line.size() > kMaxCsvLine) {
      ++out.lines;
      problem("longer than " + std::to_string(kMaxCsvLine) + " bytes");
      continue;
    }
    const std::vector<std::string> fields = SplitCsv(line);
    if (first) {
      first = false;
      if (!HasDigit(fields[0])) {  // a header
        column = NumberColumn(fields);
        continue;
      }
    }
    ++out.lines;
    if (column >= fields.size()) {
      problem("no column " + std::to_string(column + 1));
      continue;
    }
    std::optional<std::string> number = NormalizeImportedNumber(fields[column]);
    if (!number) {
      problem("'" + LogSafe(fields[column], 40) + "' is not an international phone number");
      continue;
    }
    out.numbers.push_back(std::move(*number));
  }
  return out;
}

}  // namespace sd
