// The TOML section reader on its own: every getter's rule, the named options, and that the first
// problem wins with its line and column.
#include "adapters/config/toml_section.h"

#include <gtest/gtest.h>

#include <string>

namespace sd {
namespace {

// Parsed text, kept where ParseToml put it: toml++ keeps source positions on a parsed (or moved)
// tree, not on a copy.
struct Doc {
  explicit Doc(std::string_view text) : parsed(ParseToml(text, "t.toml")) {
    if (auto* e = std::get_if<FileError>(&parsed)) ADD_FAILURE() << e->ToString();
  }
  const toml::table& root() const {
    static const toml::table kEmpty;
    const auto* t = std::get_if<toml::table>(&parsed);
    return t != nullptr ? *t : kEmpty;
  }
  std::variant<toml::table, FileError> parsed;
};

std::string First(const Problems& p) { return p.any() ? p.ToError("t.toml").ToString() : ""; }

TEST(ParseToml, ASyntaxErrorIsLocatedAndNamesTheFile) {
  auto r = ParseToml("a = 1\nb = = 2\n", "t.toml");
  ASSERT_TRUE(std::holds_alternative<FileError>(r));
  const FileError& e = std::get<FileError>(r);
  EXPECT_EQ(e.file, "t.toml");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.ToString().rfind("t.toml:2:", 0), 0u) << e.ToString();
}

TEST(Section, ReturnsValuesAndDefaultsAndMarksEveryAskedKeyKnown) {
  const Doc doc("[s]\nname = \"x\"\nn = 5\nflag = true\nlist = [\"a\", \"b\"]\n");
  Problems p;
  Section s(SubTable(doc.root(), "s", p), "s", p);
  EXPECT_EQ(s.RequiredStr("name"), "x");
  EXPECT_EQ(s.Str("absent", "dflt"), "dflt");
  EXPECT_EQ(s.Int("n", 0, 1, 10), 5);
  EXPECT_EQ(s.Int("m", 7, 1, 10), 7);
  EXPECT_TRUE(s.Bool("flag", false));
  EXPECT_EQ(s.StrList("list", 2), (std::vector<std::string>{"a", "b"}));
  s.RefuseUnknown();
  EXPECT_FALSE(p.any()) << First(p);
}

TEST(Section, NamedOptionsRefuseWhatTheyName) {
  const Doc doc("[s]\nempty = \"\"\n");
  {
    Problems p;
    Section s(SubTable(doc.root(), "s", p), "s", p);
    EXPECT_EQ(s.Str("empty", "d"), "");  // plain Str takes ""
    EXPECT_FALSE(p.any());
  }
  {
    Problems p;
    Section s(SubTable(doc.root(), "s", p), "s", p);
    s.Str("empty", "d", {.non_empty = true});
    EXPECT_EQ(First(p), "t.toml:2:9: s.empty must not be empty");
  }
  {
    Problems p;
    Section s(SubTable(doc.root(), "s", p), "s", p);
    s.Str("missing", "d", {.required = true});
    EXPECT_EQ(First(p), "t.toml:1:1: [s] is missing required key 'missing'");
  }
  {
    Problems p;
    Section s(SubTable(doc.root(), "s", p), "s", p);
    EXPECT_EQ(s.RequiredInt("count", 1, 9), 1);
    EXPECT_EQ(First(p), "t.toml:1:1: [s] is missing required key 'count'");
  }
}

TEST(Section, TypeRangeChoiceAndControlCharacterProblemsAreLocated) {
  const Doc doc(
      "[s]\nstr = 1\nint = \"1\"\nbig = 11\nmode = \"fast\"\nb = 1\n"
      "ctl = \"a\\nb\"\nlist = [\"ok\", \"x\\u0007\"]\nlong = [\"a\", \"b\", \"c\"]\n");
  const auto first = [&](auto&& ask) {
    Problems p;
    Section s(SubTable(doc.root(), "s", p), "s", p);
    ask(s);
    return First(p);
  };
  EXPECT_EQ(first([](Section& s) { s.Str("str", ""); }), "t.toml:2:7: s.str must be a string");
  EXPECT_EQ(first([](Section& s) { s.Int("int", 0, 0, 9); }),
            "t.toml:3:7: s.int must be an integer in [0, 9]");
  EXPECT_EQ(first([](Section& s) { EXPECT_EQ(s.Int("big", 3, 0, 10), 3); }),
            "t.toml:4:7: s.big = 11 is out of range [0, 10]");
  EXPECT_EQ(first([](Section& s) {
              EXPECT_EQ(s.OneOf("mode", "slow", {"slow", "safe"}), "slow");
            }),
            "t.toml:5:8: s.mode must be one of slow, safe");
  EXPECT_EQ(first([](Section& s) { s.Bool("b", false); }), "t.toml:6:5: s.b must be true or false");
  EXPECT_EQ(first([](Section& s) { s.Str("ctl", ""); }),
            "t.toml:7:7: s.ctl must not contain control characters");
  EXPECT_EQ(first([](Section& s) { s.StrList("list", 5); }),
            "t.toml:8:15: s.list must not contain control characters");
  EXPECT_EQ(first([](Section& s) { s.StrList("long", 2); }),
            "t.toml:9:8: s.long has more than 2 entries");
}

TEST(Section, UnknownKeysAndInlineSecretsAreRefusedAndTheFirstProblemWins) {
  const Doc doc("[s]\nhots = \"typo\"\npassword = \"x\"\n");
  Problems p;
  Section s(SubTable(doc.root(), "s", p), "s", p);
  s.Str("host", "localhost");
  s.RefuseInline("password", "password_file");
  s.RefuseUnknown();
  EXPECT_EQ(First(p), "t.toml:3:12: s.password is not allowed inline; use password_file");
  Problems q;
  Section t(SubTable(doc.root(), "s", q), "s", "the [s] table", q);
  t.Node("password");
  t.RefuseUnknown();
  EXPECT_EQ(First(q), "t.toml:2:1: unknown key 'hots' in the [s] table");
}

TEST(SubTableAndTableArray, WrongShapesAreProblemsAndAbsenceIsNot) {
  const Doc doc("s = 1\nitems = 2\n[[ok]]\na = 1\n[[ok]]\na = 2\n");
  Problems p;
  EXPECT_TRUE(SubTable(doc.root(), "absent", p).empty());
  EXPECT_EQ(TableArray(doc.root(), "absent", p), nullptr);
  EXPECT_FALSE(p.any());
  const toml::array* ok = TableArray(doc.root(), "ok", p);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->size(), 2u);
  EXPECT_TRUE(SubTable(doc.root(), "s", p).empty());
  EXPECT_EQ(First(p), "t.toml:1:5: [s] must be a table");
  Problems q;
  EXPECT_EQ(TableArray(doc.root(), "items", q, ", not items = ..."), nullptr);
  EXPECT_EQ(First(q),
            "t.toml:2:9: items must be an array of tables: write [[items]], not items = ...");
}

}  // namespace
}  // namespace sd
