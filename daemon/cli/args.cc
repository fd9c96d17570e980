#include "daemon/cli/args.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <utility>

namespace sd::cli {
namespace {

// CLI11's help with our synopsis in place of its one-line "Usage:": the synopsis says which
// options go together, which a generated line cannot.
class SynopsisFormatter : public CLI::Formatter {
 public:
  explicit SynopsisFormatter(std::string synopsis) : synopsis_(std::move(synopsis)) {
    column_width(24);
  }
  std::string make_usage(const CLI::App*, std::string) const override { return synopsis_; }

 private:
  std::string synopsis_;
};

}  // namespace

struct Args::Parser {
  CLI::App app;
  std::map<std::string, std::string> values;  // stable nodes: CLI11 writes into them
  std::map<std::string, CLI::Option*> options;
  bool help = false;
};

Args::Args(std::string synopsis, std::vector<OptionSpec> options) : parser_(new Parser) {
  CLI::App& app = parser_->app;
  app.formatter(std::make_shared<SynopsisFormatter>(std::move(synopsis)));
  // --help is answered by the command (exit 0, stdout), not thrown through CLI11's exit.
  app.set_help_flag();
  parser_->options["help"] =
      app.add_flag("-h,--help", parser_->help, "print this help")->disable_flag_override();
  for (OptionSpec& o : options) {
    CLI::Option* opt = nullptr;
    if (o.value.empty()) {
      // (Not add_flag(name, o.help): that overload would take o.help as the flag's target.)
      opt = app.add_flag("--" + o.name)->description(o.help)->disable_flag_override();
    } else {
      opt = app.add_option("--" + o.name, parser_->values[o.name], o.help)->type_name(o.value);
    }
    opt->group(o.group);
    parser_->options[o.name] = opt;
  }
}

Args::~Args() = default;

bool Args::Parse(int argc, char** argv, int start) {
  std::vector<std::string> args(argv + std::min(start, argc), argv + argc);
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  try {
    parser_->app.parse(args);
  } catch (const CLI::ParseError& e) {
    error_ = e.what();
    return false;
  }
  return true;
}

bool Args::Has(const std::string& name) const {
  auto it = parser_->options.find(name);
  return it != parser_->options.end() && it->second->count() > 0;
}

std::string Args::Get(const std::string& name, const std::string& def) const {
  if (!Has(name)) return def;
  return parser_->values.at(name);
}

std::optional<int64_t> Args::Int(const std::string& name, int64_t def, int64_t min, int64_t max) {
  if (!Has(name)) return def;
  const std::optional<int64_t> v = ParseInt(Get(name));
  if (!v || *v < min || *v > max) {
    error_ = "--" + name + " must be an integer in [" + std::to_string(min) + ", " +
             std::to_string(max) + "]";
    return std::nullopt;
  }
  return v;
}

std::string Args::Help() const { return parser_->app.help(); }

std::optional<int64_t> ParseInt(const std::string& s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return std::nullopt;
  for (size_t k = i; k < s.size(); ++k) {
    if (s[k] < '0' || s[k] > '9') return std::nullopt;
  }
  errno = 0;
  const long long v = strtoll(s.c_str(), nullptr, 10);
  if (errno != 0) return std::nullopt;
  return static_cast<int64_t>(v);
}

}  // namespace sd::cli
