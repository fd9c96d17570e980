#pragma once
// The TOML reader our files share: ParseToml (the one place toml++'s exception is caught),
// Problems (keeps the first located problem) and Section (typed getters with named options that
// remember which keys were asked for, so a typo is refused instead of silently defaulted).
//
//   Problems p;
//   Section s(table, "redis", p);
//   host = s.Str("host", host, {.non_empty = true});
//   port = s.Int("port", port, 1, 65535);
//   name = s.RequiredStr("name");
//   s.RefuseUnknown();
//   if (p.any()) return p.ToError(path);
#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/config/file_error.h"

namespace sd {

// Parses TOML text; a syntax error comes back located at the character where parsing stopped.
// toml++'s descriptions quote at most that one character, never a value, so this is safe for
// files holding secrets.
std::variant<toml::table, FileError> ParseToml(std::string_view text, const std::string& file);

// Collects the first problem found while reading a TOML tree. Later problems are ignored: they
// are often consequences of the first, and one clear message beats a cascade. Readers keep
// returning defaults after a problem, so loading continues harmlessly to the end.
class Problems {
 public:
  void At(const toml::source_region& where, std::string message);
  void At(const toml::node& n, std::string message) { At(n.source(), std::move(message)); }
  void At(int line, int column, std::string message);
  bool any() const { return first_.has_value(); }
  FileError ToError(const std::string& file) const;

 private:
  std::optional<FileError> first_;  // file is filled in by ToError
};

// Options of Section::Str, named at the call: s.Str("host", def, {.non_empty = true}).
struct StrOptions {
  bool required = false;   // absent is a problem (implies non_empty)
  bool non_empty = false;  // "" is a problem: names that must name something
};

// One table of a TOML file.
class Section {
 public:
  // name qualifies keys in messages ("redis" → "redis.host"); label names the table in "is
  // missing" and "unknown key" messages, "[name]" unless given.
  Section(const toml::table& t, std::string name, Problems& problems);
  Section(const toml::table& t, std::string name, std::string label, Problems& problems);

  // A string without control characters (names end up in logs, Redis keys and signing input,
  // where a newline would change meaning).
  std::string Str(const char* key, std::string def, StrOptions options = {});
  std::string RequiredStr(const char* key) { return Str(key, "", {.required = true}); }

  // An integer in [min, max].
  int64_t Int(const char* key, int64_t def, int64_t min, int64_t max);
  int64_t RequiredInt(const char* key, int64_t min, int64_t max);

  // One of a fixed set of strings.
  std::string OneOf(const char* key, std::string def, const std::vector<std::string>& allowed);

  bool Bool(const char* key, bool def);

  // An array of strings, at most max_items, each checked like Str().
  std::vector<std::string> StrList(const char* key, size_t max_items);

  // A secret must never sit in the file itself: config files get copied, versioned and pasted
  // into tickets. The key is recognised so the error can say what to do instead.
  void RefuseInline(const char* key, const char* instead);

  // The node under key (nullptr when absent), marking the key as known.
  const toml::node* Node(const char* key);

  // Every key no getter asked for is a problem: typos must not silently fall back to defaults.
  void RefuseUnknown();

  // "name.key", for messages about a key.
  std::string Name(const char* key) const { return name_ + "." + key; }
  const toml::table& table() const { return t_; }
  Problems& problems() { return problems_; }

 private:
  bool Present(const char* key, const toml::node* n, bool required);
  bool CheckString(const char* key, const toml::node& n, std::string_view v, bool non_empty);

  const toml::table& t_;
  std::string name_;
  std::string label_;
  Problems& problems_;
  std::set<std::string, std::less<>> known_;
};

// root[name] as a table; an empty table when absent, and a problem when it is not a table.
const toml::table& SubTable(const toml::table& root, const char* name, Problems& problems);

// root[name] as an array of tables ([[name]]); nullptr when absent, and nullptr with the
// problem "<name> must be an array of tables: write [[name]]<hint>" when it is something else.
const toml::array* TableArray(const toml::table& root, const char* name, Problems& problems,
                              std::string_view hint = "");

}  // namespace sd
