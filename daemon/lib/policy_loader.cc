#include "daemon/lib/policy_loader.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

#include "adapters/crypto/random.h"
#include "adapters/policy/content_scanner.h"
#include "adapters/policy/icu_domain_names.h"
#include "adapters/policy/icu_local_times.h"
#include "adapters/policy/phone_number_checker.h"
#include "daemon/lib/key_file.h"

namespace sd {

SipKey RandomLimitHashKey() {
  SipKey k;
  do {
    const std::string bytes = RandomBytes(16);
    std::memcpy(&k.k0, bytes.data(), 8);
    std::memcpy(&k.k1, bytes.data() + 8, 8);
  } while (k.k0 == 0 && k.k1 == 0);
  return k;
}

namespace {

// Unchanged options keep the previous checker and its warm cache; a new checker costs one
// library lookup per destination until the cache is warm again.
std::shared_ptr<const NumberChecker> NumberCheckerFor(const Config& config,
                                                      const PolicySnapshot* previous) {
  PhoneNumberChecker::Options o;
  o.number.mobile_required = config.policy.mobile_required;
  o.number.high_risk_prefixes = config.policy.high_risk_prefixes;
  o.cache_capacity = static_cast<size_t>(config.policy.number_cache_entries);
  auto old = previous != nullptr
                 ? std::dynamic_pointer_cast<const PhoneNumberChecker>(previous->parts().numbers)
                 : nullptr;
  if (old != nullptr && old->options().number.mobile_required == o.number.mobile_required &&
      old->options().number.high_risk_prefixes == o.number.high_risk_prefixes &&
      old->options().cache_capacity == o.cache_capacity) {
    return old;
  }
  return std::make_shared<const PhoneNumberChecker>(std::move(o));
}

// Routes name carriers by name; the router's indices are its own (the dispatcher maps them to
// its carriers by name per batch), so a reload may add, remove or reorder [[carrier]]s.
std::optional<ConfigError> BuildRouter(const Config& config, PolicyParts& parts) {
  std::vector<std::string> carriers;
  for (const CarrierConfig& cc : config.carriers) carriers.push_back(cc.name);
  RouteError err;
  parts.router = Router::Build(carriers, RouteSpecs(config), &err);
  if (parts.router != nullptr) return std::nullopt;
  const bool located = err.route < config.routes.size();
  return ConfigError{config.path, located ? config.routes[err.route].line : 0,
                     located ? config.routes[err.route].column : 0, "[[route]]: " + err.message};
}

}  // namespace

std::variant<PolicyParts, ConfigError> BuildPolicyParts(const Config& config,
                                                        const PolicySnapshot* previous,
                                                        const SipKey& limit_hash_key) {
  PolicyParts parts;
  parts.decision.stream = config.redis.jobs_stream;
  parts.decision.max_future_skew_ms = config.policy.max_future_skew_s * 1000;
  parts.decision.max_validity_ms = config.policy.max_validity_s * 1000;
  parts.decision.max_segments = static_cast<int>(config.policy.max_segments);
  if (previous != nullptr) {
    parts.registry_keys = previous->parts().registry_keys;
    parts.mac = previous->parts().mac;
    parts.blocks = previous->parts().blocks;    // from Redis, not from the file
    parts.optouts = previous->parts().optouts;  // likewise
    parts.quotas = previous->parts().quotas;    // likewise
  }
  if (!config.quota_costs.empty()) {
    parts.quota_costs = std::make_shared<const QuotaCosts>(config.quota_costs);
  }
  if (config.optouts.enabled) {
    parts.optout_rules = std::make_shared<const OptOutRules>(config.optouts);
  }
  // Recipients are placed in their zones even without quiet hours: a reload may add them
  // while admitted jobs wait for their carrier, and the submit gate checks those too.
  parts.local_times = IcuLocalTimes::Shared();
  if (!config.quiet_hours.empty()) {
    if (parts.local_times == nullptr) {
      return ConfigError{config.path, 0, 0,
                         "[[quiet_hours]]: the built-in number-to-time-zone map did not load "
                         "(a build defect: rebuild against Debian's libphonenumber8-java)"};
    }
    parts.quiet = std::make_shared<const QuietHours>(config.quiet_hours, parts.local_times);
  }
  if (!config.pumping.empty()) {
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    parts.pumping = std::make_shared<PumpingDetector>(
        config.pumping, now_ms, previous != nullptr ? previous->parts().pumping.get() : nullptr);
  }
  if (!config.keys_file.empty()) {
    auto keys = LoadKeyFile(config.keys_file);
    if (auto* err = std::get_if<ConfigError>(&keys)) return *err;
    parts.file_keys = std::get<std::shared_ptr<const KeyRing>>(keys);
  }
  if (config.policy.number_check) parts.numbers = NumberCheckerFor(config, previous);
  parts.domains = IcuDomainNames::Shared();
  if (!config.content.rules_file.empty()) {
    auto scanner = HyperscanContentScanner::Load(config.content.rules_file);
    if (auto* err = std::get_if<RulesError>(&scanner)) return *err;
    parts.content = std::shared_ptr<const ContentScanner>(
        std::move(std::get<std::unique_ptr<HyperscanContentScanner>>(scanner)));
  }
  if (!config.limits.empty()) {
    RateLimitsConfig rc;
    rc.limits = config.limits;
    rc.hash_key = limit_hash_key;
    const RateLimits* old = previous != nullptr ? previous->parts().limits.get() : nullptr;
    auto limits = RateLimits::Build(rc, old);
    if (!limits) return ConfigError{config.path, 0, 0, "[[limits]]: " + limits.error().detail};
    parts.limits = std::move(limits).value();
  }
  if (auto err = BuildRouter(config, parts)) return *err;
  return parts;
}

}  // namespace sd
