#include "adapters/policy/content_rules.h"

#include "adapters/policy/icu_domain_names.h"

#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace sd {
namespace {

// Keeps the first problem: later ones are often its consequences.
class Problems {
 public:
  void At(const toml::source_region& where, std::string message) {
    if (!first_)
      first_ = RulesError{{},
                          static_cast<int>(where.begin.line),
                          static_cast<int>(where.begin.column),
                          std::move(message)};
  }
  void At(const toml::node& n, std::string message) { At(n.source(), std::move(message)); }
  bool any() const { return first_.has_value(); }
  RulesError Take(const std::string& file) {
    first_->file = file;
    return *first_;
  }

 private:
  std::optional<RulesError> first_;
};

void RefuseUnknown(const toml::table& t, const std::set<std::string_view>& known,
                   std::string_view where, Problems& p) {
  for (const auto& [k, v] : t) {
    if (known.count(k.str()) == 0) {
      p.At(k.source(), "unknown key '" + std::string(k.str()) + "' in " + std::string(where));
    }
  }
}

std::optional<std::string> String(const toml::table& t, std::string_view key, Problems& p,
                                  std::string_view where) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return std::nullopt;
  if (!n->is_string()) {
    p.At(*n, std::string(where) + "." + std::string(key) + " must be a string");
    return std::nullopt;
  }
  return std::string(n->as_string()->get());
}

// One of `allowed`, or `def` when absent.
std::string Choice(const toml::table& t, std::string_view key, std::string def,
                   const std::vector<std::string>& allowed, Problems& p, std::string_view where) {
  auto v = String(t, key, p, where);
  if (!v) return def;
  for (const auto& a : allowed) {
    if (*v == a) return *v;
  }
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  p.At(*t.get(key), std::string(where) + "." + std::string(key) + " must be one of " + list);
  return def;
}

std::vector<std::string> Domains(const toml::table& t, std::string_view key, Problems& p,
                                 std::string_view where) {
  std::vector<std::string> out;
  const toml::node* n = t.get(key);
  if (n == nullptr) return out;
  const std::string name = std::string(where) + "." + std::string(key);
  if (!n->is_array()) {
    p.At(*n, name + " must be an array of domains");
    return out;
  }
  for (const toml::node& e : *n->as_array()) {
    if (!e.is_string()) {
      p.At(e, name + " must contain only strings");
      continue;
    }
    std::string d = CanonicalDomain(e.as_string()->get(), *IcuDomainNames::Shared());
    if (d.empty()) {
      p.At(e, name + ": '" + std::string(e.as_string()->get()) + "' is not a domain");
      continue;
    }
    out.push_back(std::move(d));
  }
  return out;
}

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRuleIdBytes) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

ContentPattern Pattern(const toml::node& n, bool literal, const std::string& name, Problems& p) {
  ContentPattern pat;
  pat.literal = literal;
  pat.line = static_cast<int>(n.source().begin.line);
  pat.column = static_cast<int>(n.source().begin.column);
  if (!n.is_string()) {
    p.At(n, name + " must be a string");
    return pat;
  }
  pat.expression = std::string(n.as_string()->get());
  if (pat.expression.empty()) p.At(n, name + " must not be empty");
  if (pat.expression.size() > kMaxPatternBytes) {
    p.At(n, name + " is longer than " + std::to_string(kMaxPatternBytes) + " bytes");
  }
  return pat;
}

void LoadRule(const toml::table& t, size_t index, std::set<std::string>& ids, size_t& total,
              Problems& p, ContentRules& out) {
  const std::string where = "rule #" + std::to_string(index + 1);
  RefuseUnknown(t, {"id", "action", "keywords", "regex", "caseless"}, "[[rule]]", p);
  ContentRule r;
  if (auto id = String(t, "id", p, where)) {
    r.id = *id;
    if (!ValidId(r.id)) {
      p.At(*t.get("id"), where + ".id must be 1.." + std::to_string(kMaxRuleIdBytes) +
                             " characters of [A-Za-z0-9_.-]");
    } else if (!ids.insert(r.id).second) {
      p.At(*t.get("id"), "duplicate rule id '" + r.id + "'");
    }
  } else if (!t.contains("id")) {
    p.At(t, where + " is missing required key 'id'");
  }
  const std::string action = Choice(t, "action", "", {"reject", "flag"}, p, where);
  if (!t.contains("action")) p.At(t, where + " is missing required key 'action'");
  r.action = action == "flag" ? RuleAction::kFlag : RuleAction::kReject;
  if (const toml::node* c = t.get("caseless")) {
    if (!c->is_boolean()) {
      p.At(*c, where + ".caseless must be true or false");
    } else {
      r.caseless = c->as_boolean()->get();
    }
  }
  const toml::node* kw = t.get("keywords");
  const toml::node* re = t.get("regex");
  if ((kw == nullptr) == (re == nullptr)) {
    p.At(t, where + " needs exactly one of 'keywords' (array of strings) or 'regex' (string)");
  } else if (re != nullptr) {
    r.patterns.push_back(Pattern(*re, false, where + ".regex", p));
  } else if (!kw->is_array() || kw->as_array()->empty()) {
    p.At(*kw, where + ".keywords must be a non-empty array of strings");
  } else {
    for (const toml::node& k : *kw->as_array()) {
      r.patterns.push_back(Pattern(k, true, where + ".keywords", p));
    }
  }
  total += r.patterns.size();
  if (total > kMaxPatternsTotal) {
    p.At(t, "more than " + std::to_string(kMaxPatternsTotal) + " keywords and regexes in total");
  }
  out.rules.push_back(std::move(r));
}

}  // namespace

std::string RulesError::ToString() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(column);
  return s + ": " + message;
}

std::variant<ContentRules, RulesError> ParseContentRules(std::string_view text,
                                                         const std::string& file) {
  toml::table root;
  // toml++ reports syntax errors by exception; loading is off the data path and the
  // exception never leaves this function.
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return RulesError{file, static_cast<int>(e.source().begin.line),
                      static_cast<int>(e.source().begin.column), std::string(e.description())};
  }
  Problems p;
  ContentRules out;
  RefuseUnknown(root, {"rule", "urls", "lookalike"}, "the top level", p);
  if (const toml::node* rules = root.get("rule")) {
    if (!rules->is_array_of_tables()) {
      p.At(*rules, "rule must be an array of tables: write [[rule]]");
    } else if (rules->as_array()->size() > kMaxRules) {
      p.At(*rules, "more than " + std::to_string(kMaxRules) + " rules");
    } else {
      std::set<std::string> ids;
      size_t total = 0;
      for (size_t i = 0; i < rules->as_array()->size(); ++i) {
        LoadRule(*rules->as_array()->get(i)->as_table(), i, ids, total, p, out);
      }
    }
  }
  static const toml::table kEmpty;
  const auto sub = [&](const char* name) -> const toml::table& {
    const toml::node* n = root.get(name);
    if (n == nullptr) return kEmpty;
    if (!n->is_table()) {
      p.At(*n, std::string("[") + name + "] must be a table");
      return kEmpty;
    }
    return *n->as_table();
  };
  const toml::table& urls = sub("urls");
  RefuseUnknown(urls, {"deny", "allow", "shorteners", "shortener_policy"}, "[urls]", p);
  out.urls.deny = Domains(urls, "deny", p, "urls");
  out.urls.allow = Domains(urls, "allow", p, "urls");
  out.urls.shorteners = Domains(urls, "shorteners", p, "urls");
  out.urls.reject_shorteners =
      Choice(urls, "shortener_policy", "reject", {"reject", "allow"}, p, "urls") == "reject";
  const toml::table& look = sub("lookalike");
  RefuseUnknown(look, {"protected", "mixed_script"}, "[lookalike]", p);
  out.urls.protected_domains = Domains(look, "protected", p, "lookalike");
  out.urls.reject_mixed_script =
      Choice(look, "mixed_script", "reject", {"reject", "allow"}, p, "lookalike") == "reject";
  if (p.any()) return p.Take(file);
  PrepareLookalikes(&out.urls, *IcuDomainNames::Shared());
  return out;
}

std::variant<ContentRules, RulesError> LoadContentRulesFile(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return RulesError{path, 0, 0, "cannot read: " + ec.message()};
  if (size > kMaxRulesFileBytes) {
    return RulesError{
        path, 0, 0, "is larger than " + std::to_string(kMaxRulesFileBytes) + " bytes; wrong file?"};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return RulesError{path, 0, 0, "cannot open"};
  std::ostringstream buf;
  buf << in.rdbuf();
  return ParseContentRules(buf.str(), path);
}

}  // namespace sd
