#pragma once
// Command-line options of one smsdispatch subcommand, parsed by CLI11: "--name value",
// "--name=value" and bare "--flag"s, each declared up front with its help so that a typo is a
// usage error naming the option (not a silent default) and --help is generated.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sd::cli {

// Exit codes shared by the subcommands (sysexits-like, as documented in docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// One option: its name without "--", the placeholder of its value ("" for a flag), its help,
// and the heading it is listed under in --help.
struct OptionSpec {
  std::string name;
  std::string value;
  std::string help;
  std::string group = "Options";
};

class Args {
 public:
  // synopsis: the "usage: smsdispatch COMMAND ..." lines and what the command does; --help
  // prints it, then every option with its help. "help" (-h, --help) is always a flag.
  Args(std::string synopsis, std::vector<OptionSpec> options);
  ~Args();
  Args(const Args&) = delete;
  Args& operator=(const Args&) = delete;

  // Parses argv[start..argc). False with error() set on an unknown option, a missing value, a
  // value given to a flag, a repeated option or a positional argument.
  [[nodiscard]] bool Parse(int argc, char** argv, int start);

  bool Has(const std::string& name) const;
  std::string Get(const std::string& name, const std::string& def = "") const;
  // Integer value in [min, max]; nullopt with error() set when present but not such a number.
  // Absent options give def.
  std::optional<int64_t> Int(const std::string& name, int64_t def, int64_t min, int64_t max);
  const std::string& error() const { return error_; }
  // The synopsis and the generated option list.
  std::string Help() const;

 private:
  struct Parser;
  std::unique_ptr<Parser> parser_;
  std::string error_;
};

// Strict decimal integer parse: the whole string, no sign surprises, no overflow.
std::optional<int64_t> ParseInt(const std::string& s);

}  // namespace sd::cli
