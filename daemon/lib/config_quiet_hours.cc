#include <toml++/toml.h>

#include <tuple>

#include "core/quiet_hours.h"
#include "daemon/lib/config.h"
#include "daemon/lib/config_sections.h"

// [[quiet_hours]] (docs/policy.md, "Quiet hours"): kinds not sent in the recipient's night.
namespace sd::config_detail {

void LoadQuietHours(const toml::table& root, Problems& p, Config& c) {
  const toml::node* n = root.get("quiet_hours");
  if (n == nullptr) return;
  if (!n->is_array_of_tables()) {
    p.At(*n, "quiet_hours must be an array of tables: write [[quiet_hours]]");
    return;
  }
  for (const toml::node& entry : *n->as_array()) {
    Section s(*entry.as_table(), "quiet_hours", p);
    QuietRule r;
    const uint8_t kinds = KindsMask(s, p);
    r.kinds = kinds == 0 ? 0x7 : kinds;
    const std::string start = s.RequiredStr("start");
    const std::string end = s.RequiredStr("end");
    const std::optional<int> a = ParseClockTime(start), b = ParseClockTime(end);
    for (auto [value, name, parsed] :
         {std::tuple{&start, "start", a}, std::tuple{&end, "end", b}}) {
      if (!value->empty() && !parsed) {
        p.At(*s.Node(name), "quiet_hours." + std::string(name) + " must be HH:MM (00:00-23:59)");
      }
    }
    if (a && b && *a == *b) {
      p.At(entry, "quiet_hours: start and end are the same time (no quiet window)");
    }
    r.start_min = a.value_or(0);
    r.end_min = b.value_or(0);
    r.text = start + "-" + end;
    s.RefuseUnknown();
    c.quiet_hours.push_back(std::move(r));
  }
}

}  // namespace sd::config_detail
