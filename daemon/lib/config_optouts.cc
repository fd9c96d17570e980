#include <toml++/toml.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/addresses.h"
#include "core/optout.h"
#include "daemon/lib/config.h"
#include "daemon/lib/config_sections.h"

// [optouts] (docs/inbound.md, "Opt-outs"): keyword replies and what an opt-out refuses. On by
// default with the English keywords: a recipient's STOP must stop them being messaged.
namespace sd::config_detail {
namespace {

// One language's table: stop, stop_all, start. Every word at most kMaxOptOutKeyword bytes, and
// no word (as compared: case folded, trimmed) in two places.
void LoadLanguage(const toml::node& n, const std::string& language, Problems& p,
                  std::map<std::string, std::string>* seen, OptOutConfig& c) {
  if (!n.is_table()) {
    p.At(n, "optouts.keywords." + language + " must be a table");
    return;
  }
  Section s(*n.as_table(), "optouts.keywords." + language, p);
  OptOutKeywords k;
  k.language = language;
  auto words = [&](const char* key, std::vector<std::string>* out) {
    *out = s.StrList(key, 50);
    const toml::node* list = s.Node(key);
    for (size_t i = 0; i < out->size() && list != nullptr; ++i) {
      const toml::node& at = *list->as_array()->get(i);
      const std::string folded = FoldKeyword((*out)[i]);
      if (folded.empty() || (*out)[i].size() > kMaxOptOutKeyword) {
        p.At(at, s.Name(key) + ": a keyword is 1 to 32 bytes of text");
      } else if (auto [it, fresh] = seen->emplace(folded, s.Name(key)); !fresh) {
        p.At(at, s.Name(key) + ": '" + (*out)[i] + "' is already a keyword in " + it->second);
      }
    }
  };
  words("stop", &k.stop);
  words("stop_all", &k.stop_all);
  words("start", &k.start);
  s.RefuseUnknown();
  c.keywords.push_back(std::move(k));
}

void LoadGroups(const toml::node& n, Problems& p, OptOutConfig& c) {
  if (!n.is_array_of_tables()) {
    p.At(n, "optouts.group must be an array of tables: write [[optouts.group]]");
    return;
  }
  std::map<std::string, std::string> owner;  // normalized sender -> group
  for (const toml::node& g : *n.as_array()) {
    Section s(*g.as_table(), "optouts.group", p);
    OptOutGroup group;
    group.name = s.RequiredStr("name");
    if (!group.name.empty() && !ValidOptOutGroupName(group.name)) {
      p.At(*s.Node("name"), "optouts.group.name must be 1 to 32 of a-z, 0-9, _ and -");
    }
    for (const OptOutGroup& other : c.groups) {
      if (other.name == group.name) p.At(g, "optouts.group '" + group.name + "' twice");
    }
    group.senders = s.StrList("senders", 1000);
    const toml::node* list = s.Node("senders");
    if (list == nullptr || group.senders.empty()) {
      p.At(g, "optouts.group '" + group.name + "' needs senders = [...]");
    }
    for (size_t i = 0; i < group.senders.size() && list != nullptr; ++i) {
      const toml::node& at = *list->as_array()->get(i);
      const std::string& sender = group.senders[i];
      if (!IsValidSender(sender)) {
        p.At(at, "optouts.group.senders: '" + sender + "' is not a sender id or number");
      } else if (auto [it, fresh] = owner.emplace(NormalizeSender(sender), group.name); !fresh) {
        p.At(at,
             "optouts.group.senders: '" + sender + "' is already in group '" + it->second + "'");
      }
    }
    s.RefuseUnknown();
    c.groups.push_back(std::move(group));
  }
}

}  // namespace

void LoadOptOuts(const toml::table& root, Problems& p, Config& c) {
  const toml::node* n = root.get("optouts");
  if (n == nullptr) return;
  if (!n->is_table()) {
    p.At(*n, "optouts must be a table: write [optouts]");
    return;
  }
  const toml::table& t = *n->as_table();
  Section s(t, "optouts", p);
  OptOutConfig& o = c.optouts;
  o.enabled = s.Bool("enabled", o.enabled);
  if (s.Node("kinds") != nullptr) {
    const uint8_t mask = KindsMask(s, p);
    auto has = [mask](JobKind k) { return (mask & (1u << static_cast<int>(k))) != 0; };
    o.refuse_otp = has(JobKind::kOtp);
    o.refuse_transactional = has(JobKind::kTransactional);
    o.refuse_marketing = has(JobKind::kMarketing);
  }
  if (const toml::node* k = s.Node("keywords")) {
    if (!k->is_table()) {
      p.At(*k, "optouts.keywords must be a table of languages: [optouts.keywords.en]");
    } else {
      o.keywords.clear();  // configured keywords replace the defaults
      std::map<std::string, std::string> seen;
      for (const auto& [language, table] : *k->as_table()) {
        LoadLanguage(table, std::string(language.str()), p, &seen, o);
      }
      const bool any_stop = std::any_of(o.keywords.begin(), o.keywords.end(),
                                        [](const OptOutKeywords& w) { return !w.stop.empty(); });
      if (!p.any() && !any_stop) {
        p.At(*k,
             "optouts.keywords: no language has a stop keyword, so no recipient could opt "
             "out (leave [optouts.keywords] out for the English defaults)");
      }
    }
  }
  if (const toml::node* g = s.Node("group")) LoadGroups(*g, p, o);
  s.RefuseUnknown();
}

}  // namespace sd::config_detail
