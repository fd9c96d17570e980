// [optouts] (docs/inbound.md, "Opt-outs"): the defaults, kinds, keywords and sender groups,
// and every problem named at its file and line.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "core/optout.h"
#include "daemon/lib/config.h"
#include "tests/daemon/config_file_fixture.h"

namespace sd {
namespace {

class OptOutConfigTest : public ::sd::testing::ConfigFileTest {
 protected:
  OptOutConfigTest() : ConfigFileTest("sd-optouts-config") {}

  // The loaded [optouts], or a failed expectation with the problem.
  OptOutConfig Loaded(const std::string& rest) {
    auto r = Load(rest);
    if (auto* e = std::get_if<ConfigError>(&r)) {
      ADD_FAILURE() << e->ToString();
      return {};
    }
    return std::get<Config>(r).optouts;
  }
  // The problem, which must name c.toml and `line`, and contain `what`.
  void ExpectProblem(const std::string& rest, int line, const std::string& what) {
    const std::string e = ErrorOf(rest);
    EXPECT_NE(e.find(dir_.File("c.toml") + ":" + std::to_string(line) + ":"), std::string::npos)
        << "line " << line << ": " << e;
    EXPECT_NE(e.find(what), std::string::npos) << e;
  }
};

TEST_F(OptOutConfigTest, DefaultsWhenTheSectionIsAbsent) {
  const OptOutConfig c = Loaded("");
  EXPECT_TRUE(c.enabled);
  EXPECT_TRUE(c.refuse_otp);
  EXPECT_TRUE(c.refuse_transactional);
  EXPECT_TRUE(c.refuse_marketing);
  EXPECT_TRUE(c.groups.empty());
  ASSERT_EQ(c.keywords.size(), 1u);
  EXPECT_EQ(c.keywords[0].language, "en");
  EXPECT_EQ(c.keywords[0].stop,
            (std::vector<std::string>{"STOP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}));
  EXPECT_EQ(c.keywords[0].stop_all, std::vector<std::string>{"STOPALL"});
  EXPECT_EQ(c.keywords[0].start, (std::vector<std::string>{"START", "UNSTOP"}));
  // An empty section is the defaults too.
  const OptOutConfig empty = Loaded("[optouts]\n");
  EXPECT_TRUE(empty.enabled && empty.refuse_otp && empty.refuse_marketing);
  ASSERT_EQ(empty.keywords.size(), 1u);
  EXPECT_EQ(empty.keywords[0].stop.size(), 5u);
}

TEST_F(OptOutConfigTest, EnabledAndKinds) {
  EXPECT_FALSE(Loaded("[optouts]\nenabled = false\n").enabled);
  const OptOutConfig m = Loaded("[optouts]\nkinds = [\"marketing\"]\n");
  EXPECT_TRUE(m.enabled);
  EXPECT_FALSE(m.refuse_otp);
  EXPECT_FALSE(m.refuse_transactional);
  EXPECT_TRUE(m.refuse_marketing);
  EXPECT_FALSE(OptOutRules(m).AppliesTo(JobKind::kOtp));
  EXPECT_TRUE(OptOutRules(m).AppliesTo(JobKind::kMarketing));
  const OptOutConfig two = Loaded("[optouts]\nkinds = [\"otp\", \"transactional\"]\n");
  EXPECT_TRUE(two.refuse_otp);
  EXPECT_TRUE(two.refuse_transactional);
  EXPECT_FALSE(two.refuse_marketing);
  ExpectProblem("[optouts]\nkinds = [\"spam\"]\n", 10, "otp, transactional or marketing");
  ExpectProblem("[optouts]\nkinds = []\n", 10, "must not be empty");
  // Keywords that leave recipients no way to opt out.
  ExpectProblem("[optouts]\n[optouts.keywords]\n", 10, "no language has a stop keyword");
  ExpectProblem("[optouts]\n[optouts.keywords.en]\nstart = [\"START\"]\n", 10,
                "no language has a stop keyword");
  ExpectProblem("[optouts]\nenabled = \"yes\"\n", 10, "optouts.enabled");
}

TEST_F(OptOutConfigTest, ConfiguredKeywordsReplaceTheDefaults) {
  const OptOutConfig c = Loaded(
      "[optouts.keywords.fr]\nstop = [\"ARRÊT\", \"STOP\"]\nstop_all = [\"ARRÊTER TOUT\"]\n"
      "start = [\"REPRISE\"]\n[optouts.keywords.de]\nstop = [\"ABMELDEN\"]\n");
  ASSERT_EQ(c.keywords.size(), 2u);
  const OptOutKeywords* fr = nullptr;
  for (const OptOutKeywords& k : c.keywords) {
    if (k.language == "fr") fr = &k;
  }
  ASSERT_NE(fr, nullptr);
  EXPECT_EQ(fr->stop, (std::vector<std::string>{"ARRÊT", "STOP"}));
  EXPECT_EQ(fr->stop_all, std::vector<std::string>{"ARRÊTER TOUT"});
  EXPECT_EQ(fr->start, std::vector<std::string>{"REPRISE"});
  const OptOutRules rules(c);
  EXPECT_EQ(rules.Classify("arrêt"), OptOutAction::kStop);
  EXPECT_EQ(rules.Classify("Abmelden"), OptOutAction::kStop);
  EXPECT_EQ(rules.Classify("stop"), OptOutAction::kStop);
  EXPECT_EQ(rules.Classify("reprise"), OptOutAction::kStart);
  EXPECT_EQ(rules.Classify("START"), OptOutAction::kNone) << "the English defaults are gone";
  EXPECT_EQ(rules.Classify("UNSUBSCRIBE"), OptOutAction::kNone);
  EXPECT_EQ(rules.Classify("STOPALL"), OptOutAction::kNone);
}

TEST_F(OptOutConfigTest, AKeywordTwiceIsAProblemAtItsLine) {
  // Lines: 9 [optouts.keywords.en], 10 stop, 11 start.
  ExpectProblem("[optouts.keywords.en]\nstop = [\"STOP\", \"QUIT\"]\nstart = [\"QUIT\"]\n", 11,
                "'QUIT' is already a keyword");
  ExpectProblem("[optouts.keywords.en]\nstop = [\"STOP\",\n  \"stop\"]\n", 11,
                "'stop' is already a keyword");
  ExpectProblem("[optouts.keywords.en]\nstop = [\"Stop.\"]\nstop_all = [\" STOP\"]\n", 11,
                "already a keyword");
  ExpectProblem("[optouts.keywords.el]\nstop = [\"ΣΤΟΠ\"]\nstart = [\"στοπ\"]\n", 11,
                "already a keyword");
  // In two languages. toml++ visits the languages in key order (de before en), so the
  // problem is reported at en's word, line 10, naming de's list.
  ExpectProblem(
      "[optouts.keywords.en]\nstop = [\"STOP\"]\n[optouts.keywords.de]\nstop = [\"stop\"]\n", 10,
      "already a keyword in optouts.keywords.de.stop");
  ExpectProblem("[optouts.keywords.en]\nstop = [\"\"]\n", 10, "1 to 32 bytes");
  ExpectProblem("[optouts.keywords.en]\nstop = [\" !? \"]\n", 10, "1 to 32 bytes");
  ExpectProblem("[optouts.keywords.en]\nstop = [\"" + std::string(33, 'S') + "\"]\n", 10,
                "1 to 32 bytes");
  ExpectProblem("[optouts.keywords.en]\nstop = \"STOP\"\n", 10, "array of strings");
  ExpectProblem("[optouts.keywords.en]\nstopp = [\"STOP\"]\n", 10, "stopp");
  ExpectProblem("[optouts]\nkeywords = 3\n", 10, "optouts.keywords must be a table");
}

TEST_F(OptOutConfigTest, SenderGroups) {
  const OptOutConfig c = Loaded(
      "[[optouts.group]]\nname = \"brand\"\nsenders = [\"ACME\", \"+4915112345\"]\n"
      "[[optouts.group]]\nname = \"shop-2\"\nsenders = [\"Shop24\"]\n");
  ASSERT_EQ(c.groups.size(), 2u);
  EXPECT_EQ(c.groups[0].name, "brand");
  EXPECT_EQ(c.groups[0].senders, (std::vector<std::string>{"ACME", "+4915112345"}));
  EXPECT_EQ(c.groups[1].name, "shop-2");
  const OptOutRules rules(c);
  EXPECT_EQ(rules.ScopeOfSender("4915112345"), "g:brand");
  EXPECT_EQ(rules.ScopeOfSender("SHOP24"), "g:shop-2");
}

TEST_F(OptOutConfigTest, GroupProblemsNameTheirLine) {
  // Lines: 9 [[optouts.group]], 10 name, 11 senders, 12 [[optouts.group]], 13 name, 14 senders.
  ExpectProblem("[[optouts.group]]\nname = \"Brand\"\nsenders = [\"ACME\"]\n", 10,
                "optouts.group.name must be");
  ExpectProblem("[[optouts.group]]\nname = \"" + std::string(33, 'a') + "\"\nsenders = [\"A\"]\n",
                10, "optouts.group.name must be");
  ExpectProblem(
      "[[optouts.group]]\nname = \"a\"\nsenders = [\"ACME\"]\n"
      "[[optouts.group]]\nname = \"b\"\nsenders = [\"Shop\", \"acme\"]\n",
      14, "'acme' is already in group 'a'");
  ExpectProblem(
      "[[optouts.group]]\nname = \"a\"\nsenders = [\"+4915112345\"]\n"
      "[[optouts.group]]\nname = \"b\"\nsenders = [\"4915112345\"]\n",
      14, "already in group 'a'");
  ExpectProblem("[[optouts.group]]\nname = \"a\"\nsenders = [\"ACME!\"]\n", 11,
                "not a sender id or number");
  ExpectProblem("[[optouts.group]]\nname = \"a\"\nsenders = []\n", 9, "needs senders");
  ExpectProblem("[[optouts.group]]\nname = \"a\"\n", 9, "needs senders");
  ExpectProblem("[[optouts.group]]\nname = \"a\"\nsenders = [\"A\"]\ncolour = \"red\"\n", 12,
                "colour");
  ExpectProblem(
      "[[optouts.group]]\nname = \"a\"\nsenders = [\"A\"]\n"
      "[[optouts.group]]\nname = \"a\"\nsenders = [\"B\"]\n",
      12, "'a' twice");
  ExpectProblem("[[optouts.group]]\nsenders = [\"A\"]\n", 9, "name");
  ExpectProblem("[optouts]\ngroup = \"brand\"\n", 10, "write [[optouts.group]]");
}

TEST_F(OptOutConfigTest, UnknownKeysAreProblemsAtTheirLine) {
  ExpectProblem("[optouts]\nenabled = true\nrefuse_otp = false\n", 11, "refuse_otp");
}

// [[quiet_hours]]: kinds (default every kind) and HH:MM times; bad times name their line.
TEST_F(OptOutConfigTest, QuietHoursTakeKindsAndClockTimes) {
  auto r = Load(
      "[[quiet_hours]]\nkinds = [\"marketing\"]\nstart = \"21:00\"\nend = \"08:30\"\n"
      "[[quiet_hours]]\nstart = \"23:00\"\nend = \"06:00\"\n");
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const auto& q = std::get<Config>(r).quiet_hours;
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].kinds, 1u << static_cast<int>(JobKind::kMarketing));
  EXPECT_EQ(q[0].start_min, 21 * 60);
  EXPECT_EQ(q[0].end_min, 8 * 60 + 30);
  EXPECT_EQ(q[0].text, "21:00-08:30");
  EXPECT_EQ(q[1].kinds, 0x7) << "every kind";
  ExpectProblem("[[quiet_hours]]\nstart = \"9pm\"\nend = \"08:00\"\n", 10, "HH:MM");
  ExpectProblem("[[quiet_hours]]\nstart = \"08:00\"\nend = \"08:00\"\n", 9, "same time");
  ExpectProblem("[[quiet_hours]]\nstart = \"21:00\"\n", 9, "end");
  ExpectProblem("[[quiet_hours]]\nstart = \"21:00\"\nend = \"07:00\"\ntz = \"UTC\"\n", 12, "tz");
}

}  // namespace
}  // namespace sd
