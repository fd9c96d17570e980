// smsdispatch-bench's command line on CLI11: defaults, values, and a clear exit 2 naming the
// option for everything the hand-written parser got wrong (a value that is no number threw
// std::invalid_argument out of main; --rate 0 was taken; out-of-range counts were accepted).
#include "bench/e2e/bench_options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sd::bench {
namespace {

struct Parsed {
  int rc = -1;
  Options options;
  std::string err;
};

Parsed Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "smsdispatch-bench");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  Parsed p;
  ::testing::internal::CaptureStderr();
  ::testing::internal::CaptureStdout();
  p.rc = ParseOptions(static_cast<int>(argv.size()), argv.data(), &p.options);
  ::testing::internal::GetCapturedStdout();
  p.err = ::testing::internal::GetCapturedStderr();
  return p;
}

TEST(BenchOptions, DefaultsAndValues) {
  Parsed d = Parse({});
  ASSERT_EQ(d.rc, -1) << d.err;
  EXPECT_EQ(d.options.jobs, 20'000u);
  EXPECT_TRUE(d.options.rates.empty());
  EXPECT_EQ(d.options.window, 256);
  EXPECT_EQ(d.options.max_unsettled, -1);
  Parsed p = Parse({"--jobs", "300", "--rate", "1000,2500", "--binds", "4", "--mix", "70:20:10",
                    "--redis", "10.0.0.1:6380", "--reuse", "--quiet", "--receipt-delay-ms", "-1"});
  ASSERT_EQ(p.rc, -1) << p.err;
  EXPECT_EQ(p.options.jobs, 300u);
  EXPECT_EQ(p.options.rates, (std::vector<double>{1000, 2500}));
  EXPECT_EQ(p.options.binds, 4);
  EXPECT_EQ(MixLabel(p.options.mix), MixLabel(*ParseMix("70:20:10", nullptr)));
  EXPECT_EQ(p.options.redis_host, "10.0.0.1");
  EXPECT_EQ(p.options.redis_port, 6380);
  EXPECT_TRUE(p.options.reuse && p.options.quiet);
  EXPECT_EQ(p.options.receipt_delay_ms, -1);
}

TEST(BenchOptions, SmokeShrinksOnlyWhatWasNotGiven) {
  Parsed s = Parse({"--smoke"});
  ASSERT_EQ(s.rc, -1) << s.err;
  EXPECT_EQ(s.options.jobs, 500u);
  EXPECT_EQ(s.options.rates, (std::vector<double>{1000, 2000}));
  Parsed given = Parse({"--smoke", "--jobs", "40", "--rate", "10"});
  ASSERT_EQ(given.rc, -1) << given.err;
  EXPECT_EQ(given.options.jobs, 40u);
  EXPECT_EQ(given.options.rates, (std::vector<double>{10}));
}

TEST(BenchOptions, HelpIsGeneratedAndExitsZero) {
  std::vector<std::string> args{"smsdispatch-bench", "--help"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  Options o;
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(ParseOptions(2, argv.data(), &o), 0);
  const std::string help = ::testing::internal::GetCapturedStdout();
  for (const char* opt : {"--jobs", "--duration", "--rate", "--redis-socket", "--smoke"}) {
    EXPECT_NE(help.find(opt), std::string::npos) << opt;
  }
}

TEST(BenchOptions, BadInputExitsTwoNamingTheOption) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--jobs", "many"}, "--jobs"},           // threw out of main before
      {{"--window", "12x"}, "--window"},        // was read as 12
      {{"--rate", "1000,fast"}, "--rate"},      // threw
      {{"--rate", "0"}, "--rate"},              // a zero rate was taken
      {{"--batch", "0"}, "--batch"},            // was accepted
      {{"--bad-share", "1.5"}, "--bad-share"},  // was accepted
      {{"--ucs2-share", "x"}, "--ucs2-share"},  // threw
      {{"--jobs"}, "--jobs"},                   // a missing value
      {{"--frobnicate"}, "--frobnicate"},
      {{"--jobs", "10", "--duration", "2"}, "--duration"},
      {{"--duration", "0"}, "--duration"},
      {{"--mix", "1:1:1", "--ucs2-share", "0.5"}, "--ucs2-share"},
      {{"--mix", "a:b"}, "--mix"},
      {{"--redis", "127.0.0.1"}, "HOST:PORT"},
      {{"--redis", "127.0.0.1:1", "--redis-socket", "/x"}, "--redis"},
      {{"--redis", "127.0.0.1:1", "--aof"}, "--aof"},
      {{"--reuse"}, "only applies"},
      {{"--daemons", "0"}, "--daemons"},
      {{"--binds", "65"}, "--binds"},
      {{"--cluster", "1"}, "--cluster"},
      {{"--cluster", "3", "--replicas", "1"}, "--cluster"},
      {{"--cluster", "3", "--redis", "127.0.0.1:1"}, "--cluster"},
  };
  for (const Case& c : cases) {
    const Parsed p = Parse(c.args);
    EXPECT_EQ(p.rc, 2) << c.args[0] << ": " << p.err;
    EXPECT_NE(p.err.find(c.says), std::string::npos) << c.args[0] << ": " << p.err;
  }
}

}  // namespace
}  // namespace sd::bench
