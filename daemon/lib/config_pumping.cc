#include <toml++/toml.h>

#include <set>

#include "daemon/lib/config.h"
#include "daemon/lib/config_sections.h"

// [[pumping]]: the SMS-pumping detection rules (docs/operations.md).
namespace sd::config_detail {

void LoadPumping(const toml::table& root, Problems& p, Config& c) {
  const toml::array* rules = TableArray(root, "pumping", p);
  if (rules == nullptr) return;
  std::set<std::string> names;
  size_t i = 0;
  for (const toml::node& n : *rules) {
    Section s(*n.as_table(), "pumping[" + std::to_string(i++) + "]", p);
    PumpingRule r;
    r.name = s.RequiredStr("name");
    if (!r.name.empty() && !names.insert(r.name).second) {
      p.At(*s.Node("name"), s.Name("name") + ": '" + r.name + "' names two rules");
    }
    r.scope = s.OneOf("scope", "key_prefix", {"key_prefix", "prefix"}) == "prefix"
                  ? PumpingScope::kPrefix
                  : PumpingScope::kKeyPrefix;
    r.prefix_digits = static_cast<int>(s.Int("prefix_digits", 2, 0, 12));
    r.kinds = KindsMask(s, p);
    r.window_ms = s.Int("window_s", 60, 1, 86'400) * 1000;
    r.baseline_ms = s.Int("baseline_s", 3'600, 1, 30 * 86'400) * 1000;
    r.factor = static_cast<double>(s.Int("factor", 10, 2, 10'000));
    r.min_messages = s.Int("min_messages", 20, 1, 10'000'000);
    r.new_prefix_messages = s.Int("new_prefix_messages", 10, 0, 10'000'000);
    r.learn_ms = s.Int("learn_s", 3'600, 0, 30 * 86'400) * 1000;
    r.action = s.OneOf("action", "alert", {"alert", "block"}) == "block" ? PumpingAction::kBlock
                                                                         : PumpingAction::kAlert;
    r.block_ms = s.Int("block_s", 3'600, 1, 30 * 86'400) * 1000;
    r.capacity = static_cast<size_t>(s.Int("capacity", 65'536, 16, 16'777'216));
    s.RefuseUnknown();
    if (!p.any() && r.baseline_ms < r.window_ms) {
      p.At(s.Node("baseline_s") != nullptr ? *s.Node("baseline_s") : n,
           s.Name("baseline_s") + " must be at least " + s.Name("window_s") +
               ": the baseline is a mean over many windows");
    }
    c.pumping.push_back(std::move(r));
  }
}

}  // namespace sd::config_detail
