#include "core/pumping.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/calling_code.h"
#include "core/key_record.h"

namespace sd {
namespace {

// The sliding-window estimate of the last window: this window's count and the part of the
// previous one still inside it.
double Estimate(int64_t cur, int64_t prev, int64_t window_start, int64_t window_ms,
                int64_t now_ms) {
  const double into = static_cast<double>(now_ms - window_start) / static_cast<double>(window_ms);
  return static_cast<double>(cur) + static_cast<double>(prev) * std::max(0.0, 1.0 - into);
}

bool SameShape(const PumpingRule& a, const PumpingRule& b) {
  return a.name == b.name && a.scope == b.scope && a.prefix_digits == b.prefix_digits &&
         a.window_ms == b.window_ms;
}

std::string Detail(const PumpingRule& r, double estimate, std::string_view prefix,
                   std::string_view family, double baseline, bool new_prefix) {
  char num[64];
  std::snprintf(num, sizeof num, "%.0f messages in the last %lld s to ", estimate,
                static_cast<long long>(r.window_ms / 1000));
  std::string d = "rule '" + r.name + "': " + num + std::string(prefix);
  if (!family.empty()) d += " for key " + std::string(family);
  if (new_prefix) return d + " (a prefix it never sent to)";
  std::snprintf(num, sizeof num, " (baseline %.1f per %lld s)", baseline,
                static_cast<long long>(r.window_ms / 1000));
  return d + num;
}

}  // namespace

PumpingDetector::PumpingDetector(std::vector<PumpingRule> rules, int64_t now_ms,
                                 const PumpingDetector* previous)
    : rules_(std::move(rules)) {
  for (const PumpingRule& r : rules_) {
    std::shared_ptr<RuleState> kept;
    if (previous != nullptr) {
      for (size_t i = 0; i < previous->rules_.size(); ++i) {
        if (SameShape(previous->rules_[i], r)) kept = previous->state_[i];
      }
    }
    if (!kept) {
      kept = std::make_shared<RuleState>();
      kept->started_ms = now_ms;
    }
    state_.push_back(std::move(kept));
  }
}

void PumpingDetector::Roll(const PumpingRule& r, Subject& s, int64_t now_ms) {
  if (now_ms < s.window_start + r.window_ms) return;
  const int64_t n = (now_ms - s.window_start) / r.window_ms;  // whole windows that ended
  const double alpha =
      std::min(1.0, static_cast<double>(r.window_ms) / static_cast<double>(r.baseline_ms));
  if (!s.established) {
    s.baseline = static_cast<double>(s.cur);
    s.established = true;
  } else {
    s.baseline += alpha * (static_cast<double>(s.cur) - s.baseline);
  }
  if (n > 1) s.baseline *= std::pow(1.0 - alpha, static_cast<double>(n - 1));  // quiet windows
  s.prev = n == 1 ? s.cur : 0;
  s.cur = 0;
  s.window_start += n * r.window_ms;
}

bool PumpingDetector::Fires(const PumpingRule& r, RuleState& st, std::string_view family,
                            Subject& s, int64_t now_ms, PumpingHit* hit) const {
  if (now_ms < s.quiet_until) return false;
  const double est = Estimate(s.cur, s.prev, s.window_start, r.window_ms, now_ms);
  if (s.established) {
    if (est < static_cast<double>(r.min_messages) || est <= r.factor * std::max(s.baseline, 1.0)) {
      return false;
    }
  } else {
    if (r.new_prefix_messages <= 0 || est < static_cast<double>(r.new_prefix_messages))
      return false;
    // "Never seen" means something only once the key (or the daemon) has been around.
    // A prefix first used while the key (or the daemon) was still being learnt is known.
    const auto seen = st.first_seen.find(std::string(family));
    const int64_t since = r.scope == PumpingScope::kKeyPrefix
                              ? (seen == st.first_seen.end() ? s.first_ms : seen->second)
                              : st.started_ms;
    if (s.first_ms - since < r.learn_ms) return false;
    hit->new_prefix = true;
  }
  s.quiet_until = now_ms + (r.action == PumpingAction::kBlock ? r.block_ms : r.window_ms);
  hit->detail = Detail(r, est, hit->prefix, family, s.baseline, hit->new_prefix);
  return true;
}

std::vector<PumpingHit> PumpingDetector::Observe(std::string_view key_id,
                                                 std::string_view destination, JobKind kind,
                                                 int64_t now_ms) {
  std::vector<PumpingHit> hits;
  const std::string_view family_of_key = KeyFamily(key_id);
  for (size_t i = 0; i < rules_.size(); ++i) {
    const PumpingRule& r = rules_[i];
    if (r.kinds != 0 && (r.kinds & (1u << static_cast<unsigned>(kind))) == 0) continue;
    RuleState& st = *state_[i];
    const std::string family =
        r.scope == PumpingScope::kKeyPrefix ? std::string(family_of_key) : std::string();
    std::string prefix = PumpingPrefix(destination, r.prefix_digits);
    if (prefix.empty()) continue;
    auto it = st.subjects.find(family + "|" + prefix);
    if (it == st.subjects.end()) {
      if (st.subjects.size() >= r.capacity) {
        ++st.untracked;
        continue;
      }
      Subject fresh;
      fresh.window_start = now_ms;
      fresh.first_ms = now_ms;
      it = st.subjects.emplace(family + "|" + prefix, fresh).first;
    }
    if (st.first_seen.size() < r.capacity) st.first_seen.emplace(family, now_ms);
    Subject& s = it->second;
    Roll(r, s, now_ms);
    ++s.cur;
    s.last_ms = now_ms;
    PumpingHit hit{&r, family, std::move(prefix)};
    if (!Fires(r, st, family, s, now_ms, &hit)) continue;
    ++(r.action == PumpingAction::kBlock ? st.blocks : st.alerts);
    hits.push_back(std::move(hit));
  }
  return hits;
}

void PumpingDetector::Sweep(int64_t now_ms) {
  for (size_t i = 0; i < rules_.size(); ++i) {
    const int64_t idle = 3 * rules_[i].baseline_ms;
    RuleState& st = *state_[i];
    std::erase_if(st.subjects, [&](const auto& kv) {
      return now_ms - kv.second.last_ms > idle && now_ms >= kv.second.quiet_until;
    });
    // A key is "known" from its first observation; forgetting it only delays new-prefix
    // detection for it, so keys with no subject left are dropped.
    if (st.first_seen.size() > st.subjects.size()) {
      std::unordered_map<std::string, bool> live;
      for (const auto& [k, s] : st.subjects) live[k.substr(0, k.rfind('|'))] = true;
      std::erase_if(st.first_seen, [&](const auto& kv) { return live.count(kv.first) == 0; });
    }
  }
}

std::vector<PumpingRuleStats> PumpingDetector::Stats() const {
  std::vector<PumpingRuleStats> out;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const RuleState& st = *state_[i];
    out.push_back({rules_[i].name, st.alerts, st.blocks, st.untracked, st.subjects.size()});
  }
  return out;
}

}  // namespace sd
