#include "daemon/lib/stats_report.h"

#include <string_view>

namespace sd {
namespace {

// "name=value name=value ..." of one counters struct; `skip_prefix` leaves out fields
// starting with it (the per-reason rejections get their own line, non-zero ones only).
template <typename Counters>
std::string Pairs(const Counters& c, std::string_view skip_prefix = {}) {
  std::string out;
  c.ForEach([&](std::string_view name, uint64_t value) {
    if (!skip_prefix.empty() && name.substr(0, skip_prefix.size()) == skip_prefix) return;
    if (!out.empty()) out += ' ';
    out.append(name);
    out += '=';
    out += std::to_string(value);
  });
  return out;
}

}  // namespace

std::string StatusLine(const StatsSources& s) {
  const DispatcherStats& d = s.dispatcher->stats();
  size_t up = 0;
  size_t all = s.carriers->size();
  for (const auto& carrier : *s.carriers) up += carrier->bound() ? 1 : 0;
  if (s.http_carriers != nullptr) {
    up += s.http_carriers->size();
    all += s.http_carriers->size();
  }
  return "submitted " + std::to_string(d.submitted) + ", rejected " + std::to_string(d.rejected) +
         ", in flight " + std::to_string(s.dispatcher->inflight()) + ", carriers up " +
         std::to_string(up) + "/" + std::to_string(all) + ", redis " +
         (s.store->connected() ? "connected" : "disconnected");
}

std::vector<std::string> StatsLogLines(const StatsSources& s) {
  const DispatcherStats& d = s.dispatcher->stats();
  std::vector<std::string> lines;
  lines.push_back("stats: inflight=" + std::to_string(s.dispatcher->inflight()) + " " +
                  Pairs(d, "rejected."));
  lines.push_back("stats: redis " + Pairs(s.store->counters()));
  for (const auto& carrier : *s.carriers) {
    lines.push_back("stats: carrier " + carrier->name() +
                    " binds=" + std::to_string(carrier->bound_binds()) + "/" +
                    std::to_string(carrier->binds().size()) + " " + Pairs(carrier->counters()));
  }
  if (s.http_carriers != nullptr) {
    for (const auto& carrier : *s.http_carriers) {
      lines.push_back("stats: carrier " + carrier->name() + " http held=" +
                      std::to_string(carrier->held()) + " " + Pairs(carrier->counters()));
    }
  }
  if (s.api != nullptr) {
    lines.push_back("stats: api " + Pairs(s.api->counters()) + " " +
                    Pairs(s.api->server_counters()));
  }
  if (s.callbacks != nullptr) {
    lines.push_back("stats: callbacks held=" + std::to_string(s.callbacks->held) +
                    " in_flight=" + std::to_string(s.callbacks->in_flight) + " " +
                    Pairs(s.callbacks->sender) + " queue " + Pairs(s.callbacks->queue));
  }
  if (s.receipt_endpoint != nullptr) {
    lines.push_back("stats: listener " + Pairs(s.receipt_endpoint->counters()) + " " +
                    Pairs(s.receipt_endpoint->server_counters()));
  }
  std::string by_reason;  // only the reasons seen, e.g. "revoked_key=3 rate_limited=12"
  d.ForEach([&](std::string_view name, uint64_t value) {
    if (value == 0 || name.substr(0, 9) != "rejected.") return;
    if (!by_reason.empty()) by_reason += ' ';
    by_reason.append(name.substr(9));
    by_reason += '=' + std::to_string(value);
  });
  if (!by_reason.empty()) lines.push_back("stats: rejected by reason: " + by_reason);
  return lines;
}

std::vector<std::string> StatsHashFields(const StatsSources& s, int64_t now_ms) {
  return CollectMetrics(s).HashFields(now_ms);
}

}  // namespace sd
