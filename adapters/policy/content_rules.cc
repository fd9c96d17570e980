#include "adapters/policy/content_rules.h"

#include <toml++/toml.h>

#include <set>
#include <utility>

#include "adapters/config/config_file.h"
#include "adapters/config/toml_section.h"
#include "adapters/policy/icu_domain_names.h"

namespace sd {
namespace {

// An array of domains, each canonicalised (UTS #46) or reported at its line.
std::vector<std::string> Domains(Section& s, const char* key) {
  std::vector<std::string> out;
  const toml::node* n = s.Node(key);
  if (n == nullptr) return out;
  if (!n->is_array()) {
    s.problems().At(*n, s.Name(key) + " must be an array of domains");
    return out;
  }
  for (const toml::node& e : *n->as_array()) {
    if (!e.is_string()) {
      s.problems().At(e, s.Name(key) + " must contain only strings");
      continue;
    }
    std::string d = CanonicalDomain(e.as_string()->get(), *IcuDomainNames::Shared());
    if (d.empty()) {
      s.problems().At(
          e, s.Name(key) + ": '" + std::string(e.as_string()->get()) + "' is not a domain");
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
  Section s(t, "rule #" + std::to_string(index + 1), "[[rule]] #" + std::to_string(index + 1), p);
  ContentRule r;
  r.id = s.RequiredStr("id");
  if (const toml::node* id = s.Node("id"); id != nullptr && id->is_string()) {
    if (!ValidId(r.id)) {
      p.At(*id, s.Name("id") + " must be 1.." + std::to_string(kMaxRuleIdBytes) +
                    " characters of [A-Za-z0-9_.-]");
    } else if (!ids.insert(r.id).second) {
      p.At(*id, "duplicate rule id '" + r.id + "'");
    }
  }
  if (s.Node("action") == nullptr) p.At(t, s.Name("action") + " is missing (reject or flag)");
  r.action = s.OneOf("action", "reject", {"reject", "flag"}) == "flag" ? RuleAction::kFlag
                                                                       : RuleAction::kReject;
  r.caseless = s.Bool("caseless", r.caseless);
  const toml::node* kw = s.Node("keywords");
  const toml::node* re = s.Node("regex");
  if ((kw == nullptr) == (re == nullptr)) {
    p.At(t, "rule #" + std::to_string(index + 1) +
                " needs exactly one of 'keywords' (array of strings) or 'regex' (string)");
  } else if (re != nullptr) {
    r.patterns.push_back(Pattern(*re, false, s.Name("regex"), p));
  } else if (!kw->is_array() || kw->as_array()->empty()) {
    p.At(*kw, s.Name("keywords") + " must be a non-empty array of strings");
  } else {
    for (const toml::node& k : *kw->as_array()) {
      r.patterns.push_back(Pattern(k, true, s.Name("keywords"), p));
    }
  }
  s.RefuseUnknown();
  total += r.patterns.size();
  if (total > kMaxPatternsTotal) {
    p.At(t, "more than " + std::to_string(kMaxPatternsTotal) + " keywords and regexes in total");
  }
  out.rules.push_back(std::move(r));
}

}  // namespace

std::variant<ContentRules, RulesError> ParseContentRules(std::string_view text,
                                                         const std::string& file) {
  auto parsed = ParseToml(text, file);
  if (auto* err = std::get_if<RulesError>(&parsed)) return *err;
  const toml::table& root = std::get<toml::table>(parsed);
  Problems p;
  ContentRules out;
  for (const auto& [k, v] : root) {
    if (k.str() != "rule" && k.str() != "urls" && k.str() != "lookalike") {
      p.At(k.source(), "unknown key '" + std::string(k.str()) + "' in the top level");
    }
  }
  if (const toml::array* rules = TableArray(root, "rule", p)) {
    if (rules->size() > kMaxRules) {
      p.At(*root.get("rule"), "more than " + std::to_string(kMaxRules) + " rules");
    } else {
      std::set<std::string> ids;
      size_t total = 0;
      for (size_t i = 0; i < rules->size(); ++i) {
        LoadRule(*rules->get(i)->as_table(), i, ids, total, p, out);
      }
    }
  }
  Section urls(SubTable(root, "urls", p), "urls", p);
  out.urls.deny = Domains(urls, "deny");
  out.urls.allow = Domains(urls, "allow");
  out.urls.shorteners = Domains(urls, "shorteners");
  out.urls.reject_shorteners =
      urls.OneOf("shortener_policy", "reject", {"reject", "allow"}) == "reject";
  urls.RefuseUnknown();
  Section look(SubTable(root, "lookalike", p), "lookalike", p);
  out.urls.protected_domains = Domains(look, "protected");
  out.urls.reject_mixed_script =
      look.OneOf("mixed_script", "reject", {"reject", "allow"}) == "reject";
  look.RefuseUnknown();
  if (p.any()) return p.ToError(file);
  PrepareLookalikes(&out.urls, *IcuDomainNames::Shared());
  return out;
}

std::variant<ContentRules, RulesError> LoadContentRulesFile(const std::string& path) {
  auto text = ReadConfigFile(path, kMaxRulesFileBytes, FileAccess::kAny);
  if (auto* err = std::get_if<RulesError>(&text)) return *err;
  return ParseContentRules(std::get<std::string>(text), path);
}

}  // namespace sd
