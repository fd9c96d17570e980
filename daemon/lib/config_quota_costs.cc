#include <toml++/toml.h>

#include <set>
#include <utility>

#include "core/quota_costs.h"
#include "daemon/lib/config.h"
#include "daemon/lib/config_sections.h"

// [[quota_cost]] (docs/limits.md, "Budgets"): what a segment costs against the quotas.
namespace sd::config_detail {

void LoadQuotaCosts(const toml::table& root, Problems& p, Config& c) {
  const toml::node* n = root.get("quota_cost");
  if (n == nullptr) return;
  if (!n->is_array_of_tables()) {
    p.At(*n, "quota_cost must be an array of tables: write [[quota_cost]]");
    return;
  }
  std::set<std::string> carriers;
  for (const CarrierConfig& carrier : c.carriers) carriers.insert(carrier.name);
  std::set<std::pair<std::string, std::string>> seen;
  for (const toml::node& entry : *n->as_array()) {
    if (c.quota_costs.size() >= kMaxQuotaCosts) {
      p.At(entry, "quota_cost: more than " + std::to_string(kMaxQuotaCosts) + " entries");
      return;
    }
    Section s(*entry.as_table(), "quota_cost", p);
    QuotaCost cost;
    cost.country = s.Str("country", "");
    cost.carrier = s.Str("carrier", "");
    cost.per_segment = s.RequiredInt("per_segment", 1, kMaxQuotaCostPerSegment);
    if (!cost.country.empty() && !ValidRegionCode(cost.country)) {
      p.At(*s.Node("country"),
           "quota_cost.country must be a region code as numbers resolve "
           "(two capital letters such as \"DE\", or \"001\")");
    }
    if (!cost.carrier.empty() && carriers.count(cost.carrier) == 0) {
      p.At(*s.Node("carrier"), "quota_cost.carrier '" + cost.carrier + "' is not a [[carrier]]");
    }
    if (!seen.emplace(cost.country, cost.carrier).second) {
      p.At(entry, "quota_cost: a second entry for country '" + cost.country + "' and carrier '" +
                      cost.carrier + "' (the first one counts; remove one)");
    }
    s.RefuseUnknown();
    c.quota_costs.push_back(std::move(cost));
  }
}

}  // namespace sd::config_detail
