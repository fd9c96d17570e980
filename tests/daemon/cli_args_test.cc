// The smsdispatch CLI's option parser on its own (the commands are run as processes in
// cli_test.cc): what it accepts, what is a usage error and what that error names.
#include "daemon/cli/args.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sd::cli {
namespace {

// argv for Parse: "smsdispatch <command> <args...>", parsed from index 2.
class Argv {
 public:
  explicit Argv(std::vector<std::string> args) : strings_(std::move(args)) {
    strings_.insert(strings_.begin(), {"smsdispatch", "cmd"});
    for (std::string& s : strings_) pointers_.push_back(s.data());
  }
  int argc() const { return static_cast<int>(pointers_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> pointers_;
};

Args MakeArgs() {
  return Args("usage: smsdispatch cmd --to NUMBER [--count N] [--dry-run]\nDoes a thing.",
              {{"to", "NUMBER", "destination number"},
               {"count", "N", "how many"},
               {"dry-run", "", "change nothing", "Safety"}});
}

bool Parse(Args& args, std::vector<std::string> words) {
  Argv a(std::move(words));
  return args.Parse(a.argc(), a.argv(), 2);
}

TEST(CliArgs, ValuesInBothSpellingsAndFlags) {
  Args args = MakeArgs();
  ASSERT_TRUE(Parse(args, {"--to", "+4915112345678", "--count=3", "--dry-run"})) << args.error();
  EXPECT_EQ(args.Get("to"), "+4915112345678");
  EXPECT_EQ(args.Int("count", 1, 1, 10), 3);
  EXPECT_TRUE(args.Has("dry-run"));
  EXPECT_FALSE(args.Has("help"));
}

TEST(CliArgs, AbsentOptionsGiveTheirDefaults) {
  Args args = MakeArgs();
  ASSERT_TRUE(Parse(args, {}));
  EXPECT_FALSE(args.Has("to"));
  EXPECT_EQ(args.Get("to", "none"), "none");
  EXPECT_EQ(args.Int("count", 7, 1, 10), 7);
  EXPECT_FALSE(args.Has("not-declared"));
}

TEST(CliArgs, UsageErrorsNameTheOption) {
  struct Case {
    std::vector<std::string> words;
    std::string named;
  };
  const std::vector<Case> cases = {
      {{"--tp", "1"}, "--tp"},                  // a typo is not a silent default
      {{"--to"}, "--to"},                       // missing value
      {{"--dry-run=yes"}, "dry-run"},           // value given to a flag
      {{"--to", "1", "--to", "2"}, "--to"},     // repeated
      {{"stray"}, "stray"},                     // positional
  };
  for (const Case& c : cases) {
    Args args = MakeArgs();
    EXPECT_FALSE(Parse(args, c.words)) << c.words[0];
    EXPECT_NE(args.error().find(c.named), std::string::npos)
        << c.words[0] << ": " << args.error();
  }
}

TEST(CliArgs, IntegersOutsideTheRangeOrNotNumbersAreErrors) {
  for (const char* bad : {"0", "11", "3x", "-", "1e3", " 3"}) {
    Args args = MakeArgs();
    ASSERT_TRUE(Parse(args, {std::string("--count=") + bad})) << bad << ": " << args.error();
    EXPECT_EQ(args.Int("count", 1, 1, 10), std::nullopt) << bad;
    EXPECT_EQ(args.error(), "--count must be an integer in [1, 10]") << bad;
  }
}

TEST(CliArgs, HelpIsAFlagAndListsTheSynopsisThenEachOptionInItsGroup) {
  Args args = MakeArgs();
  ASSERT_TRUE(Parse(args, {"--help"}));
  EXPECT_TRUE(args.Has("help"));
  const std::string help = args.Help();
  EXPECT_EQ(help.rfind("usage: smsdispatch cmd --to NUMBER", 0), 0u) << help;
  for (const char* part : {"--to NUMBER", "destination number", "--count N", "--dry-run",
                           "change nothing", "Safety:", "-h,--help"}) {
    EXPECT_NE(help.find(part), std::string::npos) << part << " in\n" << help;
  }
  EXPECT_LT(help.find("--to"), help.find("Safety:")) << "groups in declaration order";
}

TEST(CliArgs, ParseIntTakesWholeDecimalNumbersWithinInt64) {
  EXPECT_EQ(ParseInt("0"), 0);
  EXPECT_EQ(ParseInt("-42"), -42);
  EXPECT_EQ(ParseInt("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseInt("-922337203685477580"), -922337203685477580);
  for (const char* bad : {"", "-", "+1", "1 ", "0x10", "9223372036854775808",
                          "99999999999999999999", "--1"}) {
    EXPECT_EQ(ParseInt(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace sd::cli
