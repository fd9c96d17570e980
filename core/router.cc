#include "core/router.h"

#include <algorithm>
#include <utility>

#include "core/addresses.h"

namespace sd {
namespace {

// Kind-specific entries first, so the first entry of a key whose kinds match is the winner.
bool EntryLess(std::string_view ak, uint8_t akinds, std::string_view bk, uint8_t bkinds) {
  if (ak != bk) return ak < bk;
  return (akinds != 0) > (bkinds != 0);
}

}  // namespace

bool ValidRoutePrefix(std::string_view p) { return IsE164Prefix(p); }

bool ValidRouteCountry(std::string_view c) {
  return c.size() == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z';
}

std::shared_ptr<const Router> Router::Build(std::vector<std::string> carrier_names,
                                            std::vector<RouteSpec> routes, RouteError* error) {
  auto fail = [error](size_t route, std::string message) -> std::shared_ptr<const Router> {
    if (error != nullptr) *error = RouteError{route, std::move(message)};
    return nullptr;
  };
  if (carrier_names.size() > kMaxCarriers) {
    return fail(0, "more than " + std::to_string(kMaxCarriers) + " carriers");
  }
  auto r = std::shared_ptr<Router>(new Router());
  r->carrier_names_ = std::move(carrier_names);
  r->routes_ = std::move(routes);
  size_t entries = 0;
  for (size_t i = 0; i < r->routes_.size(); ++i) {
    const RouteSpec& s = r->routes_[i];
    entries += s.prefixes.size() + s.countries.size();
    if (entries > kMaxRouteEntries) {
      return fail(i, "more than " + std::to_string(kMaxRouteEntries) + " prefixes and countries");
    }
    if (s.carriers.empty()) return fail(i, "route has no carriers");
    if (s.carriers.size() > kMaxRouteCarriers) {
      return fail(i, "route has more than " + std::to_string(kMaxRouteCarriers) + " carriers");
    }
    if (s.kinds > 0b111) return fail(i, "route names an unknown job kind");
    RouteChoice choice;
    choice.route = static_cast<uint32_t>(i);
    for (const std::string& name : s.carriers) {
      auto it = std::find(r->carrier_names_.begin(), r->carrier_names_.end(), name);
      if (it == r->carrier_names_.end()) {
        return fail(i, "route names carrier '" + name + "', which is not configured");
      }
      const auto index = static_cast<uint8_t>(it - r->carrier_names_.begin());
      for (uint8_t k = 0; k < choice.count; ++k) {
        if (choice.carriers[k] == index) return fail(i, "route names carrier '" + name + "' twice");
      }
      choice.carriers[choice.count++] = index;
    }
    r->choices_.push_back(choice);
    for (const std::string& p : s.prefixes) {
      if (!IsE164Prefix(p)) {
        return fail(i, "route prefix '" + p + "' must be '+' and 1 to 15 digits");
      }
      r->prefixes_.push_back(Entry{p, s.kinds, static_cast<uint32_t>(i)});
      r->longest_prefix_ = std::max(r->longest_prefix_, p.size());
    }
    for (const std::string& c : s.countries) {
      if (!ValidRouteCountry(c)) {
        return fail(i, "route country '" + c + "' must be two upper-case letters (ISO 3166-1)");
      }
      r->countries_.push_back(Entry{c, s.kinds, static_cast<uint32_t>(i)});
    }
    if (s.prefixes.empty() && s.countries.empty()) {
      r->defaults_.push_back(Entry{std::string_view(), s.kinds, static_cast<uint32_t>(i)});
    }
  }
  // Sort, then refuse two entries that could both match one job: the config would say two
  // things and only one of them could ever happen.
  for (auto* table : {&r->prefixes_, &r->countries_, &r->defaults_}) {
    std::stable_sort(table->begin(), table->end(), [](const Entry& a, const Entry& b) {
      return EntryLess(a.key, a.kinds, b.key, b.kinds);
    });
    for (size_t a = 0; a < table->size(); ++a) {
      for (size_t b = a + 1; b < table->size() && (*table)[b].key == (*table)[a].key; ++b) {
        const Entry& x = (*table)[a];
        const Entry& y = (*table)[b];
        const bool overlap = (x.kinds == 0 && y.kinds == 0) || (x.kinds & y.kinds) != 0;
        if (!overlap) continue;
        const std::string what = table == &r->defaults_ ? std::string("a second default route")
                                 : table == &r->prefixes_
                                     ? "prefix '" + std::string(x.key) + "' again"
                                     : "country '" + std::string(x.key) + "' again";
        return fail(std::max(x.route, y.route), "route names " + what + " (route " +
                                                    std::to_string(std::min(x.route, y.route)) +
                                                    " has it for the same kinds)");
      }
    }
  }
  return r;
}

bool Router::FindIn(const std::vector<Entry>& table, std::string_view key, JobKind kind,
                    RouteChoice* out) const {
  auto it = std::lower_bound(table.begin(), table.end(), key,
                             [](const Entry& e, std::string_view k) { return e.key < k; });
  for (; it != table.end() && it->key == key; ++it) {
    if (Matches(it->kinds, kind)) {
      *out = choices_[it->route];
      return true;
    }
  }
  return false;
}

bool Router::Find(std::string_view e164, std::string_view region, JobKind kind,
                  RouteChoice* out) const {
  if (!prefixes_.empty()) {
    for (size_t len = std::min(e164.size(), longest_prefix_); len >= 2; --len) {
      if (FindIn(prefixes_, e164.substr(0, len), kind, out)) return true;
    }
  }
  if (!region.empty() && !countries_.empty() && FindIn(countries_, region, kind, out)) return true;
  return FindIn(defaults_, std::string_view(), kind, out);
}

}  // namespace sd
