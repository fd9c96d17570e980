#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "bench/e2e/bench_report.h"

// INFO commandstats, parsed and subtracted (declared in bench_report.h, next to CommandCost).
namespace sd::bench {

std::map<std::string, CommandCost> ParseCommandStats(const std::string& info) {
  std::map<std::string, CommandCost> out;
  std::istringstream in(info);
  std::string line;
  while (std::getline(in, line)) {
    // cmdstat_xadd:calls=120,usec=340,usec_per_call=2.83,rejected_calls=0,failed_calls=0
    if (line.rfind("cmdstat_", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    CommandCost cost;
    std::istringstream fields(line.substr(colon + 1));
    std::string field;
    while (std::getline(fields, field, ',')) {
      const size_t eq = field.find('=');
      if (eq == std::string::npos) continue;
      const std::string name = field.substr(0, eq);
      const std::string value = field.substr(eq + 1);
      if (name == "calls") cost.calls = std::strtoull(value.c_str(), nullptr, 10);
      if (name == "usec") cost.usec = std::strtod(value.c_str(), nullptr);
    }
    out[line.substr(8, colon - 8)] = cost;
  }
  return out;
}

std::map<std::string, CommandCost> CommandStatsDelta(const std::map<std::string, CommandCost>& before,
                                                     const std::map<std::string, CommandCost>& after) {
  std::map<std::string, CommandCost> out;
  for (const auto& [name, cost] : after) {
    CommandCost d = cost;
    auto it = before.find(name);
    if (it != before.end()) {
      d.calls -= std::min(d.calls, it->second.calls);
      d.usec -= it->second.usec;
    }
    if (d.calls > 0) out[name] = d;
  }
  return out;
}

}  // namespace sd::bench
