#pragma once
// Command-line options of one smsdispatch subcommand: "--name value", "--name=value" and bare
// "--flag"s, each declared up front so that a typo is a usage error, not a silent default.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sd::cli {

// Exit codes shared by the subcommands (sysexits-like, as documented in docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

class Args {
 public:
  // valued: options that take a value; flags: options that do not. "help" is always a flag.
  Args(std::set<std::string> valued, std::set<std::string> flags);

  // Parses argv[start..argc). False with error() set on an unknown option, a missing value,
  // a repeated option or a positional argument.
  [[nodiscard]] bool Parse(int argc, char** argv, int start);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& def = "") const;
  // Integer value in [min, max]; nullopt with error() set when present but not such a number.
  // Absent options give def.
  std::optional<int64_t> Int(const std::string& name, int64_t def, int64_t min, int64_t max);
  const std::string& error() const { return error_; }

 private:
  std::set<std::string> valued_;
  std::set<std::string> flags_;
  std::map<std::string, std::string> values_;
  std::string error_;
};

// Strict decimal integer parse: the whole string, no sign surprises, no overflow.
std::optional<int64_t> ParseInt(const std::string& s);

}  // namespace sd::cli
