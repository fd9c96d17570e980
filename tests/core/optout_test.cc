// Opt-out rules (core/optout.h): keyword classification (case, trimming, non-ASCII letters),
// the scope of a sender, what an MO's keyword plans, which kinds the rules cover, and the
// Redis field and value of one opt-out.
#include "core/optout.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sd {
namespace {

InboundMessage Mo(std::string from, std::string to, std::string text) {
  InboundMessage m;
  m.carrier = "sim";
  m.from = std::move(from);
  m.to = std::move(to);
  m.text = std::move(text);
  return m;
}

OptOutConfig WithLanguage(OptOutKeywords k) {
  OptOutConfig c;
  c.keywords.push_back(std::move(k));
  return c;
}

TEST(OptOutRules, DefaultEnglishKeywords) {
  const OptOutRules rules;
  for (const char* w : {"STOP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}) {
    std::string keyword;
    EXPECT_EQ(rules.Classify(w, &keyword), OptOutAction::kStop) << w;
    EXPECT_EQ(keyword, w);
  }
  std::string keyword;
  EXPECT_EQ(rules.Classify("STOPALL", &keyword), OptOutAction::kStopAll);
  EXPECT_EQ(keyword, "STOPALL");
  EXPECT_EQ(rules.Classify("START", &keyword), OptOutAction::kStart);
  EXPECT_EQ(keyword, "START");
  EXPECT_EQ(rules.Classify("UNSTOP", &keyword), OptOutAction::kStart);
  EXPECT_EQ(keyword, "UNSTOP");
  EXPECT_EQ(rules.Classify("HELP"), OptOutAction::kNone);
  EXPECT_EQ(OptOutActionName(OptOutAction::kNone), "none");
  EXPECT_EQ(OptOutActionName(OptOutAction::kStop), "stop");
  EXPECT_EQ(OptOutActionName(OptOutAction::kStopAll), "stop_all");
  EXPECT_EQ(OptOutActionName(OptOutAction::kStart), "start");
}

TEST(OptOutRules, IgnoresCaseAndSurroundingSpaceAndPunctuation) {
  const OptOutRules rules;
  for (const char* w : {"stop", "Stop", "sToP", "  stop. ", "Stop!", "\tSTOP\r\n", "'stop'",
                        "\"Stop?\"", "stop;:,", "...stop..."}) {
    std::string keyword;
    EXPECT_EQ(rules.Classify(w, &keyword), OptOutAction::kStop) << w;
    EXPECT_EQ(keyword, "STOP") << "the keyword as configured, not as written";
  }
  EXPECT_EQ(rules.Classify(" stopall! "), OptOutAction::kStopAll);
  EXPECT_EQ(rules.Classify("Start."), OptOutAction::kStart);
  EXPECT_EQ(FoldKeyword("  stop. "), "STOP");
  EXPECT_EQ(FoldKeyword(" .!? "), "");
}

TEST(OptOutRules, OnlyTheWholeTextIsAKeyword) {
  const OptOutRules rules;
  for (const char* w : {"stop it", "don't stop", "please stop", "STOP STOP", "st op", "stopp",
                        "sto", "", "   ", "!!", "-stop", "stop-", "s.t.o.p"}) {
    std::string keyword = "untouched";
    EXPECT_EQ(rules.Classify(w, &keyword), OptOutAction::kNone) << "'" << w << "'";
    EXPECT_EQ(keyword, "untouched") << w;
  }
}

TEST(OptOutRules, ATextLongerThan64BytesIsNeverAKeyword) {
  const OptOutRules rules;
  const std::string at_bound = "STOP" + std::string(kMaxKeywordReply - 4, ' ');
  ASSERT_EQ(at_bound.size(), 64u);
  EXPECT_EQ(rules.Classify(at_bound), OptOutAction::kStop);
  EXPECT_EQ(rules.Classify(" " + at_bound), OptOutAction::kNone);
  EXPECT_EQ(rules.Classify(std::string(30, ' ') + "stop" + std::string(31, '.')),
            OptOutAction::kNone);
  // A long configured keyword matches only within the bound too.
  OptOutConfig c = WithLanguage({"xx", {std::string(32, 'Z')}, {}, {}});
  const OptOutRules long_word(c);
  EXPECT_EQ(long_word.Classify(std::string(32, 'z')), OptOutAction::kStop);
  EXPECT_EQ(long_word.Classify(std::string(33, ' ') + std::string(32, 'z')), OptOutAction::kNone);
}

TEST(OptOutRules, LatinAndCyrillicLettersFoldToUpperCase) {
  // French ARRÊT, German ABMELDEN/ENDE, Polish STÓJ (Latin Extended-A: Ł), Russian СТОП and
  // ОТПИСАТЬСЯ, Ukrainian (і, ї: U+0456, U+0457), Serbian (ђ).
  OptOutConfig c = WithLanguage({"fr", {"ARRÊT", "ÉÇÀÙÔÏ"}, {"ARRÊTER TOUT"}, {"RECOMMENCER"}});
  c.keywords.push_back({"pl", {"ZAŁÓŻ", "ŹŻŚĆĘŃ"}, {}, {}});
  c.keywords.push_back({"ru", {"СТОП", "ОТПИСАТЬСЯ"}, {"СТОПВСЕ"}, {"СТАРТ"}});
  c.keywords.push_back({"uk", {"ЇІЄҐЂ"}, {}, {}});
  const OptOutRules rules(c);
  std::string keyword;
  EXPECT_EQ(rules.Classify("arrêt", &keyword), OptOutAction::kStop);
  EXPECT_EQ(keyword, "ARRÊT");
  EXPECT_EQ(rules.Classify(" Arrêt !"), OptOutAction::kStop);
  EXPECT_EQ(rules.Classify("éçàùôï"), OptOutAction::kStop);
  EXPECT_EQ(rules.Classify("arrêter tout"), OptOutAction::kStopAll);
  EXPECT_EQ(rules.Classify("arret"), OptOutAction::kNone) << "an accent is not dropped";
  EXPECT_EQ(rules.Classify("załóż"), OptOutAction::kStop);
  EXPECT_EQ(rules.Classify("źżśćęń"), OptOutAction::kStop);
  EXPECT_EQ(rules.Classify("стоп", &keyword), OptOutAction::kStop);
  EXPECT_EQ(keyword, "СТОП");
  EXPECT_EQ(rules.Classify("Отписаться."), OptOutAction::kStop);
  EXPECT_EQ(rules.Classify("стопвсе"), OptOutAction::kStopAll);
  EXPECT_EQ(rules.Classify("старт"), OptOutAction::kStart);
  // ї і є are in U+0450..U+045F; ґ (U+0491) has no simple mapping here, so "Ґ" stays
  // distinct: written in upper case it still matches.
  EXPECT_EQ(rules.Classify("їієҐђ"), OptOutAction::kStop);
  // English keywords are still there alongside.
  EXPECT_EQ(rules.Classify("stop"), OptOutAction::kStop);
  EXPECT_EQ(FoldKeyword("stop ÿ"), "STOP Ÿ");
}

TEST(OptOutRules, GreekLettersFoldIncludingFinalSigmaAndTonos) {
  OptOutConfig c = WithLanguage({"el", {"ΣΤΟΠ", "ΤΕΛΟΣ", "ΔΙΑΓΡΑΦΉ"}, {"ΆΈΉΊ"}, {"ΈΝΑΡΞΗ"}});
  const OptOutRules rules(c);
  std::string keyword;
  EXPECT_EQ(rules.Classify("στοπ", &keyword), OptOutAction::kStop);
  EXPECT_EQ(keyword, "ΣΤΟΠ");
  EXPECT_EQ(rules.Classify("Τελος"), OptOutAction::kStop) << "final sigma folds to Σ";
  EXPECT_EQ(rules.Classify("τελοσ"), OptOutAction::kStop);
  EXPECT_EQ(rules.Classify("διαγραφή"), OptOutAction::kStop);
  EXPECT_EQ(rules.Classify("άέήί"), OptOutAction::kStopAll);
  EXPECT_EQ(rules.Classify("έναρξη"), OptOutAction::kStart);
}

// Every accented Greek vowel folds, not only ά έ ή ί: a configured "ΌΧΙ" matches "όχι".
TEST(OptOutRules, GreekOmicronUpsilonOmegaWithTonosFold) {
  OptOutConfig c = WithLanguage({"el", {"ΌΧΙ", "ΎΩΏ", "ΪΫ"}, {}, {}});
  const OptOutRules rules(c);
  EXPECT_EQ(FoldKeyword("ό"), "Ό");
  EXPECT_EQ(FoldKeyword("ύ"), "Ύ");
  EXPECT_EQ(FoldKeyword("ώ"), "Ώ");
  EXPECT_EQ(rules.Classify("όχι"), OptOutAction::kStop);
  EXPECT_EQ(rules.Classify("ύωώ"), OptOutAction::kStop);
  EXPECT_EQ(rules.Classify("ϊϋ"), OptOutAction::kStop);
}

TEST(OptOutRules, BadUtf8IsNotAKeywordAndDoesNotCrash) {
  const OptOutRules rules;
  for (std::string w : {std::string("st\xffop"), std::string("stop\xc3"), std::string("\xe2\x82"),
                        std::string("\xf0\x9f\x98\x80"), std::string("s\0top", 5)}) {
    EXPECT_EQ(rules.Classify(w), OptOutAction::kNone);
  }
  EXPECT_EQ(FoldKeyword("a\xff"), "A\xef\xbf\xbd") << "U+FFFD for a bad byte";
}

TEST(OptOutRules, TheFirstConfigurationOfAWordWins) {
  OptOutConfig c;
  c.keywords = {{"en", {"STOP"}, {}, {}}, {"xx", {}, {}, {"stop"}}};
  const OptOutRules rules(c);
  EXPECT_EQ(rules.Classify("Stop"), OptOutAction::kStop);
  c.keywords = {{"xx", {}, {}, {}}};
  EXPECT_EQ(OptOutRules(c).Classify("stop"), OptOutAction::kNone) << "no default added back";
}

TEST(OptOutRules, ScopeOfSender) {
  OptOutConfig c;
  c.groups = {{"brand", {"ACME", "+4915112345", "Acme Shop"}}, {"other-1", {"4930111"}}};
  const OptOutRules plain;
  EXPECT_EQ(plain.ScopeOfSender("+4915112345"), "s:4915112345");
  EXPECT_EQ(plain.ScopeOfSender("4915112345"), "s:4915112345");
  EXPECT_EQ(plain.ScopeOfSender("ACME"), "s:acme");
  EXPECT_EQ(plain.ScopeOfSender("Acme"), "s:acme");
  EXPECT_EQ(plain.ScopeOfSender("Shop24"), "s:shop24");
  const OptOutRules grouped(c);
  for (const char* s : {"ACME", "acme", "AcMe", "+4915112345", "4915112345", "acme shop"}) {
    EXPECT_EQ(grouped.ScopeOfSender(s), "g:brand") << s;
  }
  EXPECT_EQ(grouped.ScopeOfSender("+4930111"), "g:other-1");
  EXPECT_EQ(grouped.ScopeOfSender("ACME2"), "s:acme2");
  EXPECT_EQ(grouped.ScopeOfSender("+49151123456"), "s:49151123456");
  EXPECT_EQ(NormalizeSender("+4915112345"), "4915112345");
  EXPECT_EQ(NormalizeSender("Acme Bank"), "acme bank");
  EXPECT_EQ(NormalizeSender("+Acme"), "+acme") << "'+' is dropped from numbers only";
}

TEST(OptOutRules, ScopesRefusingAJobsSender) {
  OptOutConfig c;
  c.groups = {{"brand", {"ACME", "+4915112345"}}};
  const OptOutRules rules(c);
  std::string out[3];
  ASSERT_EQ(rules.ScopesRefusing("Acme", out), 3u);
  EXPECT_EQ(out[0], "g:brand");
  EXPECT_EQ(out[1], "s:acme");
  EXPECT_EQ(out[2], "*");
  ASSERT_EQ(rules.ScopesRefusing("+4930111", out), 2u);
  EXPECT_EQ(out[0], "s:4930111");
  EXPECT_EQ(out[1], "*");
}

TEST(OptOutPlan, StopAddsTheSendersScopeAndStopAllEverySender) {
  const OptOutRules rules;
  OptOutPlan p = rules.Plan(Mo("+447700900123", "ACME", "STOP"));
  EXPECT_EQ(p.action, OptOutAction::kStop);
  EXPECT_EQ(p.keyword, "STOP");
  EXPECT_EQ(p.scope, "s:acme");
  EXPECT_EQ(p.number, "+447700900123");
  ASSERT_EQ(p.changes.size(), 1u);
  EXPECT_TRUE(p.changes[0].add);
  EXPECT_EQ(p.changes[0].scope, "s:acme");
  EXPECT_EQ(p.changes[0].number, "+447700900123");

  p = rules.Plan(Mo("+447700900123", "+4915112345", "stopall"));
  EXPECT_EQ(p.action, OptOutAction::kStopAll);
  EXPECT_EQ(p.keyword, "STOPALL");
  EXPECT_EQ(p.scope, "*");
  ASSERT_EQ(p.changes.size(), 1u);
  EXPECT_TRUE(p.changes[0].add);
  EXPECT_EQ(p.changes[0].scope, "*");
  EXPECT_EQ(p.changes[0].number, "+447700900123");
}

TEST(OptOutPlan, StartRemovesTheOwnScopeAndEverySender) {
  OptOutConfig c;
  c.groups = {{"brand", {"ACME"}}};
  const OptOutRules rules(c);
  OptOutPlan p = rules.Plan(Mo("+447700900123", "acme", " Unstop "));
  EXPECT_EQ(p.action, OptOutAction::kStart);
  EXPECT_EQ(p.keyword, "UNSTOP");
  EXPECT_EQ(p.scope, "g:brand");
  EXPECT_EQ(p.number, "+447700900123");
  ASSERT_EQ(p.changes.size(), 2u);
  EXPECT_FALSE(p.changes[0].add);
  EXPECT_EQ(p.changes[0].scope, "g:brand");
  EXPECT_EQ(p.changes[0].number, "+447700900123");
  EXPECT_FALSE(p.changes[1].add);
  EXPECT_EQ(p.changes[1].scope, "*");
  EXPECT_EQ(p.changes[1].number, "+447700900123");
  // A STOP to a grouped number opts out of the group.
  p = rules.Plan(Mo("+447700900123", "ACME", "stop"));
  ASSERT_EQ(p.changes.size(), 1u);
  EXPECT_EQ(p.changes[0].scope, "g:brand");
}

TEST(OptOutPlan, TheRecipientsNumberIsNormalizedToE164) {
  const OptOutRules rules;
  for (const char* from : {"447700900123", "00447700900123", "+447700900123"}) {
    OptOutPlan p = rules.Plan(Mo(from, "ACME", "STOP"));
    EXPECT_EQ(p.number, "+447700900123") << from;
    ASSERT_EQ(p.changes.size(), 1u) << from;
    EXPECT_EQ(p.changes[0].number, "+447700900123") << from;
  }
  EXPECT_EQ(MoNumberE164("00447700900123"), "+447700900123");
  EXPECT_EQ(MoNumberE164("447700900123"), "+447700900123");
  for (const char* bad : {"07700900123", "", "+", "00", "+0447700900123", "0044770090012a",
                          "+44 7700 900123", "ACME", "+123456", "+1234567890123456"}) {
    EXPECT_FALSE(MoNumberE164(bad).has_value()) << bad;
  }
}

TEST(OptOutPlan, ANationalNumberIsPlannedWithoutChanges) {
  const OptOutRules rules;
  OptOutPlan p = rules.Plan(Mo("07700900123", "ACME", "STOP"));
  EXPECT_EQ(p.action, OptOutAction::kStop);
  EXPECT_EQ(p.keyword, "STOP");
  EXPECT_EQ(p.scope, "s:acme");
  EXPECT_TRUE(p.number.empty());
  EXPECT_TRUE(p.changes.empty());
  // Likewise when our own number (the MO's recipient) is not a sender id.
  p = rules.Plan(Mo("+447700900123", "", "STOP"));
  EXPECT_EQ(p.action, OptOutAction::kStop);
  EXPECT_TRUE(p.changes.empty());
}

TEST(OptOutPlan, NothingForPartialBinaryNonKeywordOrDisabled) {
  const OptOutRules rules;
  InboundMessage m = Mo("+447700900123", "ACME", "STOP");
  m.parts = 2;
  m.missing = 1;
  EXPECT_EQ(rules.Plan(m).action, OptOutAction::kNone);
  EXPECT_TRUE(rules.Plan(m).changes.empty());
  m = Mo("+447700900123", "ACME", "");
  m.binary_hex = "53544f50";  // "STOP" as bytes
  EXPECT_EQ(rules.Plan(m).action, OptOutAction::kNone);
  m.text = "STOP";
  EXPECT_EQ(rules.Plan(m).action, OptOutAction::kNone);
  OptOutPlan p = rules.Plan(Mo("+447700900123", "ACME", "stop it"));
  EXPECT_EQ(p.action, OptOutAction::kNone);
  EXPECT_TRUE(p.keyword.empty() && p.scope.empty() && p.number.empty() && p.changes.empty());
  OptOutConfig off;
  off.enabled = false;
  const OptOutRules disabled(off);
  EXPECT_FALSE(disabled.enabled());
  EXPECT_EQ(disabled.Plan(Mo("+447700900123", "ACME", "STOP")).action, OptOutAction::kNone);
}

TEST(OptOutRules, AppliesToTheConfiguredKinds) {
  const OptOutRules all;
  EXPECT_TRUE(all.AppliesTo(JobKind::kOtp));
  EXPECT_TRUE(all.AppliesTo(JobKind::kTransactional));
  EXPECT_TRUE(all.AppliesTo(JobKind::kMarketing));
  OptOutConfig c;
  c.refuse_otp = false;
  EXPECT_FALSE(OptOutRules(c).AppliesTo(JobKind::kOtp));
  EXPECT_TRUE(OptOutRules(c).AppliesTo(JobKind::kTransactional));
  c.refuse_transactional = false;
  EXPECT_FALSE(OptOutRules(c).AppliesTo(JobKind::kTransactional));
  EXPECT_TRUE(OptOutRules(c).AppliesTo(JobKind::kMarketing));
  c.refuse_marketing = false;
  c.refuse_otp = true;
  EXPECT_FALSE(OptOutRules(c).AppliesTo(JobKind::kMarketing));
  EXPECT_TRUE(OptOutRules(c).AppliesTo(JobKind::kOtp));
  OptOutConfig off;
  off.enabled = false;
  for (JobKind k : {JobKind::kOtp, JobKind::kTransactional, JobKind::kMarketing}) {
    EXPECT_FALSE(OptOutRules(off).AppliesTo(k));
  }
}

TEST(OptOutNames, ScopesAndGroupNames) {
  for (const char* good : {"*", "s:acme", "s:4915112345", "s:acme bank", "g:brand", "g:a-b_1"}) {
    EXPECT_TRUE(ValidOptOutScope(good)) << good;
  }
  for (const char* bad :
       {"", "**", "s:", "g:", "s:ACME", "s:+4915112345", "g:Brand", "x:acme", "sacme", "s:acme!",
        "g:"
        "abcdefghijklmnopqrstuvwxyz0123456",
        "s:1234567890123456"}) {
    EXPECT_FALSE(ValidOptOutScope(bad)) << bad;
  }
  EXPECT_TRUE(ValidOptOutGroupName(std::string(32, 'a')));
  EXPECT_FALSE(ValidOptOutGroupName(std::string(33, 'a')));
  for (const char* bad : {"", "A", "a b", "a.b", "a:b", "ä"}) {
    EXPECT_FALSE(ValidOptOutGroupName(bad)) << bad;
  }
}

TEST(OptOutRecord, FieldAndValueRoundTrip) {
  OptOutRecord r{"g:brand", "+447700900123", 1'700'000'000'123, "mo:sim", "said STOP | twice"};
  const std::string field = OptOutField(r.scope, r.number);
  const std::string value = OptOutValue(r);
  EXPECT_EQ(field, "g:brand|+447700900123");
  EXPECT_EQ(value, "1700000000123|mo:sim|said STOP | twice");
  std::optional<OptOutRecord> back = ParseOptOut(field, value);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->scope, r.scope);
  EXPECT_EQ(back->number, r.number);
  EXPECT_EQ(back->created_ms, r.created_ms);
  EXPECT_EQ(back->source, r.source);
  EXPECT_EQ(back->note, r.note) << "a note may hold '|'";
  back = ParseOptOut("*|+12025550123", "0|import|");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->scope, "*");
  EXPECT_EQ(back->created_ms, 0);
  EXPECT_EQ(back->source, "import");
  EXPECT_TRUE(back->note.empty());
  std::string scope, number;
  ASSERT_TRUE(ParseOptOutField("s:acme bank|+4915112345678", &scope, &number));
  EXPECT_EQ(scope, "s:acme bank");
  EXPECT_EQ(number, "+4915112345678");
}

TEST(OptOutRecord, ParseRejectsBadFieldsAndValues) {
  const std::string ok_value = "1700000000000|cli:ops|";
  ASSERT_TRUE(ParseOptOut("s:acme|+447700900123", ok_value).has_value());
  for (const char* field :
       {"", "s:acme", "|+447700900123", "s:ACME|+447700900123", "x:acme|+447700900123",
        "s:acme|447700900123", "s:acme|+0447700900123", "s:acme|+44770", "s:acme|",
        "s:acme|+447700900123 ", "s:acme|+44770090012a", "g:Brand|+447700900123",
        "s:acme|+447700900123|x"}) {
    EXPECT_FALSE(ParseOptOut(field, ok_value).has_value()) << field;
  }
  for (const char* value : {"", "1700000000000", "1700000000000|cli:ops", "|cli:ops|",
                            "-1|cli:ops|", "x|cli:ops|", "+5|cli:ops|"}) {
    EXPECT_FALSE(ParseOptOut("s:acme|+447700900123", value).has_value()) << value;
  }
}

// The whole time stamp must be digits: "12abc" is not 12.
TEST(OptOutRecord, ParseRejectsATimeStampWithTrailingCharacters) {
  for (const char* value : {"12abc|cli:ops|", "1700000000000 |cli:ops|", "1.5|cli:ops|"}) {
    EXPECT_FALSE(ParseOptOut("s:acme|+447700900123", value).has_value()) << value;
  }
}

}  // namespace
}  // namespace sd
