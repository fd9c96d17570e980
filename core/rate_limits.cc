#include "core/rate_limits.h"

#include <algorithm>
#include <array>
#include <bit>

#include "core/key_record.h"

namespace sd {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;
constexpr size_t kMaxLimits = 16;  // more is a config mistake; bounds the stack
constexpr size_t kMinCapacity = LimitTable::kProbe;
constexpr size_t kMaxCapacity = size_t{1} << 24;  // 16 Mi slots = 256 MiB per limit
constexpr int kMaxPrefixDrop = 14;                // E.164 has at most 15 digits

size_t RoundedCapacity(size_t c) { return std::bit_ceil(c < kMinCapacity ? kMinCapacity : c); }

// A global limit keeps its budget in the lease book (capacity = values held there); its table
// is never charged and keeps the smallest size.
size_t TableCapacity(const LimitConfig& c) {
  return c.reach == LimitReach::kGlobal ? kMinCapacity : RoundedCapacity(c.capacity);
}

std::string_view ValueFor(const RateLimits::Limit& l, const LimitSubject& job) {
  switch (l.cfg.scope) {
    case LimitScope::kKey:
      return KeyFamily(job.key_id);  // all versions share one budget: rotation resets nothing
    case LimitScope::kDestination:
      return job.destination;
    case LimitScope::kDestinationPrefix:
      return DestinationPrefix(job.destination, l.cfg.prefix_drop_digits);
    case LimitScope::kSender:
      return job.sender;
    case LimitScope::kCarrier:
      return job.carrier;
  }
  return {};
}

std::string Describe(const RateLimits::Limit& l) {
  return "rate limit '" + l.cfg.name + "' (" + std::string(LimitScopeName(l.cfg.scope)) + ", " +
         std::to_string(l.cfg.rate.count) + " per " + std::to_string(l.cfg.rate.period_ms) +
         " ms, burst " + std::to_string(l.cfg.rate.burst) + ")";
}

int64_t CeilMs(int64_t ns) { return ns / kNsPerMs + (ns % kNsPerMs > 0 ? 1 : 0); }

constexpr int64_t kMinLeaseMs = 100;
constexpr int64_t kMaxLeaseMs = 60'000;
// The Redis bucket counts in microseconds (its TIME); a finer emission interval would round.
constexpr int64_t kMinGlobalEmissionNs = 1'000;

// A global limit's checks (its Redis bucket runs the same GCRA in microseconds).
std::optional<std::string> CheckGlobal(const LimitConfig& l, const GcraParams& p) {
  if (l.reach != LimitReach::kGlobal) {
    if (l.lease_units != 0) return "lease_units applies only to reach = global";
    return std::nullopt;
  }
  for (char ch : l.name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.';
    // The name is part of the Redis key of the limit's buckets (<prefix>limit:<name>:<value>).
    if (!ok) return "a global limit's name may hold only letters, digits, '_', '-' and '.'";
  }
  if (p.emission_ns < kMinGlobalEmissionNs) return "a global limit allows at most 1000000 per s";
  if (l.lease_units < 0 || l.lease_units > l.rate.burst) return "lease_units must be 1..burst";
  if (l.lease_ms < kMinLeaseMs || l.lease_ms > kMaxLeaseMs) {
    return "lease_ms must be " + std::to_string(kMinLeaseMs) + ".." + std::to_string(kMaxLeaseMs);
  }
  return std::nullopt;
}

std::unique_ptr<LeaseBook> LeasesFor(const LimitConfig& cfg, const SipKey& key) {
  if (cfg.reach != LimitReach::kGlobal) return nullptr;
  LeaseOptions o;
  o.lease_units = LeaseUnitsOf(cfg);
  o.lease_ms = cfg.lease_ms;
  o.capacity = cfg.capacity;
  return std::make_unique<LeaseBook>(o, key);
}

// Whether a previous limit's state serves the new config: same buckets, same lease terms.
bool SameState(const LimitState& old, const LimitConfig& c) {
  if (old.scope != c.scope || old.prefix_drop_digits != c.prefix_drop_digits ||
      old.table.capacity() != TableCapacity(c)) {
    return false;
  }
  if ((old.leases != nullptr) != (c.reach == LimitReach::kGlobal)) return false;
  if (old.leases == nullptr) return true;
  const LeaseOptions& o = old.leases->options();
  return o.lease_units == LeaseUnitsOf(c) && o.lease_ms == c.lease_ms && o.capacity == c.capacity;
}

}  // namespace

std::string_view LimitScopeName(LimitScope s) {
  switch (s) {
    case LimitScope::kKey:
      return "key";
    case LimitScope::kDestination:
      return "destination";
    case LimitScope::kDestinationPrefix:
      return "destination_prefix";
    case LimitScope::kSender:
      return "sender";
    case LimitScope::kCarrier:
      return "carrier";
  }
  return "unknown";
}

std::string_view DestinationPrefix(std::string_view destination, int drop) {
  if (destination.empty()) return destination;
  const size_t keep = destination.size() > static_cast<size_t>(drop)
                          ? destination.size() - static_cast<size_t>(drop)
                          : 1;
  return destination.substr(0, keep);
}

Result<bool> ValidateRateLimits(const RateLimitsConfig& cfg) {
  if (cfg.limits.size() > kMaxLimits) {
    return Error{Reason::kMalformed, "at most " + std::to_string(kMaxLimits) + " rate limits"};
  }
  for (size_t i = 0; i < cfg.limits.size(); ++i) {
    const LimitConfig& l = cfg.limits[i];
    const std::string where = "limits[" + std::to_string(i) + "] '" + l.name + "': ";
    if (l.name.empty()) return Error{Reason::kMalformed, where + "name must not be empty"};
    for (size_t j = 0; j < i; ++j) {
      if (cfg.limits[j].name == l.name) {
        return Error{Reason::kMalformed, where + "duplicate name"};
      }
    }
    Result<GcraParams> p = MakeGcraParams(l.rate);
    if (!p.ok()) return Error{Reason::kMalformed, where + p.error().detail};
    if (l.scope == LimitScope::kDestinationPrefix) {
      if (l.prefix_drop_digits < 1 || l.prefix_drop_digits > kMaxPrefixDrop) {
        return Error{Reason::kMalformed,
                     where + "prefix_drop_digits must be 1.." + std::to_string(kMaxPrefixDrop)};
      }
    } else if (l.prefix_drop_digits != 0) {
      return Error{Reason::kMalformed,
                   where + "prefix_drop_digits applies only to scope destination_prefix"};
    }
    if (l.capacity < kMinCapacity || l.capacity > kMaxCapacity) {
      return Error{Reason::kMalformed, where + "capacity must be " + std::to_string(kMinCapacity) +
                                           ".." + std::to_string(kMaxCapacity) + " slots"};
    }
    if (std::optional<std::string> e = CheckGlobal(l, p.value())) {
      return Error{Reason::kMalformed, where + *e};
    }
  }
  if (cfg.hash_key.k0 == 0 && cfg.hash_key.k1 == 0) {
    // An all-zero key is a known key: attackers could pick numbers that share a window.
    return Error{Reason::kMalformed, "hash_key must be set (random per process)"};
  }
  return true;
}

std::optional<LimitScope> LimitScopeFromName(std::string_view name) {
  for (LimitScope s : {LimitScope::kKey, LimitScope::kDestination, LimitScope::kDestinationPrefix,
                       LimitScope::kSender, LimitScope::kCarrier}) {
    if (LimitScopeName(s) == name) return s;
  }
  return std::nullopt;
}

std::optional<LimitAction> LimitActionFromName(std::string_view name) {
  if (name == "reject") return LimitAction::kReject;
  if (name == "defer") return LimitAction::kDefer;
  return std::nullopt;
}

std::optional<LimitReach> LimitReachFromName(std::string_view name) {
  if (name == "local") return LimitReach::kLocal;
  if (name == "global") return LimitReach::kGlobal;
  return std::nullopt;
}

int64_t LeaseUnitsOf(const LimitConfig& cfg) {
  if (cfg.lease_units > 0) return cfg.lease_units;
  // 100 ms of the rate, rounded up: small enough that the overshoot (one lease per daemon) is
  // a tenth of a second's traffic, large enough that a lease serves many jobs.
  const int64_t per_100ms = (cfg.rate.count * 100 + cfg.rate.period_ms - 1) / cfg.rate.period_ms;
  return std::clamp<int64_t>(per_100ms, 1, std::max<int64_t>(cfg.rate.burst, 1));
}

std::optional<FullPolicy> FullPolicyFromName(std::string_view name) {
  if (name == "reject") return FullPolicy::kFailClosed;
  if (name == "admit") return FullPolicy::kFailOpen;
  return std::nullopt;
}

LimitState::LimitState(const LimitConfig& cfg, const SipKey& key)
    : scope(cfg.scope),
      prefix_drop_digits(cfg.prefix_drop_digits),
      table(LimitTableOptions{TableCapacity(cfg), 64, key}),
      leases(LeasesFor(cfg, key)) {}

Result<std::shared_ptr<const RateLimits>> RateLimits::Build(const RateLimitsConfig& cfg,
                                                            const RateLimits* previous) {
  Result<bool> valid = ValidateRateLimits(cfg);
  if (!valid.ok()) return valid.error();
  auto out = std::make_shared<RateLimits>();
  for (const LimitConfig& c : cfg.limits) {
    Limit l;
    l.cfg = c;
    l.params = MakeGcraParams(c.rate).value();
    l.description = Describe(l);
    if (previous != nullptr) {
      std::shared_ptr<LimitState> old = previous->StateOf(c.name);
      if (old && SameState(*old, c)) {
        l.state = std::move(old);
      }
    }
    if (!l.state) l.state = std::make_shared<LimitState>(c, cfg.hash_key);
    out->limits_.push_back(std::move(l));
  }
  return std::shared_ptr<const RateLimits>(std::move(out));
}

namespace {

// One limit's answer for one job, before the all-or-nothing bookkeeping.
struct Step {
  enum class Kind : uint8_t { kCharged, kSkipped, kRefused, kAwait };
  Kind kind = Kind::kSkipped;
  LimitTable::Ticket ticket;  // kCharged, local limits
  LimitVerdict refusal;       // kRefused: kind kReject or kDefer, detail, retry_at_ms
};

Step Refused(const RateLimits::Limit& l, LimitAction action, std::string detail, int64_t retry_ns) {
  Step st;
  st.kind = Step::Kind::kRefused;
  st.refusal.limit = l.cfg.name;
  st.refusal.detail = std::move(detail);
  st.refusal.kind =
      action == LimitAction::kDefer ? LimitVerdict::Kind::kDefer : LimitVerdict::Kind::kReject;
  st.refusal.retry_at_ms = CeilMs(retry_ns);
  return st;
}

Step ChargeLocal(const RateLimits::Limit& l, std::string_view value, int64_t now_ns, int64_t cost) {
  LimitCounters& counters = l.state->counters;
  const LimitTable::Charged c = l.state->table.Charge(value, l.params, now_ns, cost);
  if (c.status == LimitTable::Status::kAdmitted) return Step{Step::Kind::kCharged, c.ticket, {}};
  if (c.status == LimitTable::Status::kFull) {
    counters.table_full.fetch_add(1, std::memory_order_relaxed);
    if (l.cfg.on_full == FullPolicy::kFailOpen) return Step{};
    // No bucket to ask: live buckets free up within one emission interval per unit of cost.
    return Refused(l, l.cfg.action, l.description + ": table full, failing closed",
                   now_ns + cost * l.params.emission_ns);
  }
  if (c.retry_at_ns == kNeverNs) {
    counters.cost_over_burst.fetch_add(1, std::memory_order_relaxed);
    // Deferring cannot help.
    return Refused(l, LimitAction::kReject,
                   l.description + ": " + std::to_string(cost) + " segments exceed the burst", 0);
  }
  return Refused(l, l.cfg.action, l.description + " exceeded", c.retry_at_ns);
}

// A global limit spends leased tokens; the same refusals as a local one, plus "wait for the
// lease", and a denial that lasts until the Redis bucket would grant again.
Step ChargeGlobal(const RateLimits::Limit& l, std::string_view value, int64_t now_ms,
                  int64_t cost) {
  LimitCounters& counters = l.state->counters;
  if (cost > l.cfg.rate.burst) {
    counters.cost_over_burst.fetch_add(1, std::memory_order_relaxed);
    return Refused(l, LimitAction::kReject,
                   l.description + ": " + std::to_string(cost) + " segments exceed the burst", 0);
  }
  const LeaseBook::Verdict v = l.state->leases->Spend(value, cost, now_ms);
  switch (v.status) {
    case LeaseBook::Status::kSpent:
      return Step{Step::Kind::kCharged, {}, {}};
    case LeaseBook::Status::kAwait:
      return Step{Step::Kind::kAwait, {}, {}};
    case LeaseBook::Status::kDenied:
      return Refused(l, l.cfg.action,
                     l.description + (v.unanswered ? ": the fleet's bucket could not be asked "
                                                     "(no answer from Redis), failing closed"
                                                   : " exceeded across the fleet"),
                     v.retry_at_ms * kNsPerMs);
    case LeaseBook::Status::kFull:
      break;
  }
  counters.table_full.fetch_add(1, std::memory_order_relaxed);
  if (l.cfg.on_full == FullPolicy::kFailOpen) return Step{};
  return Refused(l, l.cfg.action, l.description + ": lease book full, failing closed",
                 (now_ms + 1) * kNsPerMs);
}

}  // namespace

LimitVerdict RateLimits::Charge(const LimitSubject& job, int64_t now_ms) const {
  const int64_t now_ns = now_ms * kNsPerMs;
  const int64_t cost = job.segments < 1 ? 1 : job.segments;
  struct Charged {
    const Limit* limit;
    LimitTable::Ticket ticket;
    std::string_view value;
  };
  std::array<Charged, kMaxLimits> charged;
  size_t n = 0;
  for (const Limit& l : limits_) {
    const std::string_view value = ValueFor(l, job);
    if (value.empty()) continue;  // e.g. carrier not known yet
    LimitCounters& counters = l.state->counters;
    Step st = l.state->leases ? ChargeGlobal(l, value, now_ms, cost)
                              : ChargeLocal(l, value, now_ns, cost);
    if (st.kind == Step::Kind::kSkipped) continue;
    if (st.kind == Step::Kind::kCharged) {
      counters.admitted.fetch_add(1, std::memory_order_relaxed);
      charged[n++] = Charged{&l, st.ticket, value};
      continue;
    }
    // All or nothing: give back what this job already took, latest first.
    while (n > 0) {
      const Charged& c = charged[--n];
      if (c.limit->state->leases) {
        c.limit->state->leases->Refund(c.value, cost);
      } else {
        c.limit->state->table.Refund(c.ticket, c.limit->params, cost);
      }
      c.limit->state->counters.refunded.fetch_add(1, std::memory_order_relaxed);
    }
    if (st.kind == Step::Kind::kAwait) {
      LimitVerdict v;
      v.kind = LimitVerdict::Kind::kAwaitLease;
      v.limit = l.cfg.name;
      v.detail = l.description + ": waiting for a lease";
      return v;
    }
    (st.refusal.kind == LimitVerdict::Kind::kDefer ? counters.deferred : counters.rejected)
        .fetch_add(1, std::memory_order_relaxed);
    return std::move(st.refusal);
  }
  return LimitVerdict{};
}

LimitVerdict RateLimits::Peek(const LimitSubject& job, int64_t now_ms) const {
  const int64_t now_ns = now_ms * kNsPerMs;
  const int64_t cost = job.segments < 1 ? 1 : job.segments;
  for (const Limit& l : limits_) {
    const std::string_view value = ValueFor(l, job);
    if (value.empty()) continue;
    LimitTable::Charged c = l.state->leases ? LimitTable::Charged{LimitTable::Status::kAdmitted}
                                            : l.state->table.Peek(value, l.params, now_ns, cost);
    if (l.state->leases) {
      // A global limit refuses here only what it would refuse without asking Redis: a cost
      // over the burst, or a value the fleet's bucket denied moments ago.
      const LeaseBook::Verdict lv = l.state->leases->Peek(value, cost, now_ms);
      if (cost > l.cfg.rate.burst) {
        c = {LimitTable::Status::kLimited, kNeverNs, {}};
      } else if (lv.status == LeaseBook::Status::kDenied) {
        c = {LimitTable::Status::kLimited, lv.retry_at_ms * kNsPerMs, {}};
      }
    }
    if (c.status == LimitTable::Status::kAdmitted) continue;
    LimitVerdict v;
    v.limit = l.cfg.name;
    const bool never = c.retry_at_ns == kNeverNs;
    v.detail = l.description + (never ? ": " + std::to_string(cost) + " segments exceed the burst"
                                      : std::string(" exceeded"));
    v.kind = l.cfg.action == LimitAction::kDefer && !never ? LimitVerdict::Kind::kDefer
                                                           : LimitVerdict::Kind::kReject;
    v.retry_at_ms = never ? 0 : CeilMs(c.retry_at_ns);
    return v;
  }
  return LimitVerdict{};
}

std::vector<LimitStats> RateLimits::Stats() const {
  std::vector<LimitStats> out;
  out.reserve(limits_.size());
  for (const Limit& l : limits_) {
    const LimitCounters& c = l.state->counters;
    LimitStats st{l.cfg.name,
                  l.cfg.scope,
                  c.admitted.load(),
                  c.rejected.load(),
                  c.deferred.load(),
                  c.refunded.load(),
                  c.table_full.load(),
                  c.cost_over_burst.load(),
                  l.state->table.capacity(),
                  l.state->table.MemoryBytes()};
    if (const LeaseBook* book = l.state->leases.get()) {
      const LeaseCounters& lc = book->counters();
      st.global = true;
      st.capacity = book->options().capacity;
      st.lease_requested = lc.requested.load();
      st.lease_granted_units = lc.granted_units.load();
      st.lease_denied = lc.denied.load();
      st.lease_failed = lc.failed.load();
      st.lease_returned_units = lc.returned_units.load();
      st.lease_awaited = lc.awaited.load();
    }
    out.push_back(std::move(st));
  }
  return out;
}

size_t RateLimits::MemoryBytes() const {
  size_t total = 0;
  for (const Limit& l : limits_) total += l.state->table.MemoryBytes();
  return total;
}

std::vector<GlobalLimit> RateLimits::Globals() const {
  std::vector<GlobalLimit> out;
  for (const Limit& l : limits_) {
    if (l.state->leases) out.push_back(GlobalLimit{l.cfg.name, l.params, l.state});
  }
  return out;
}

bool RateLimits::WantsLeases() const {
  for (const Limit& l : limits_) {
    if (l.state->leases && l.state->leases->HasWants()) return true;
  }
  return false;
}

std::shared_ptr<LimitState> RateLimits::StateOf(std::string_view name) const {
  for (const Limit& l : limits_) {
    if (l.cfg.name == name) return l.state;
  }
  return nullptr;
}

}  // namespace sd
