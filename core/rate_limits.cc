#include "core/rate_limits.h"

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

std::optional<FullPolicy> FullPolicyFromName(std::string_view name) {
  if (name == "reject") return FullPolicy::kFailClosed;
  if (name == "admit") return FullPolicy::kFailOpen;
  return std::nullopt;
}

LimitState::LimitState(const LimitConfig& cfg, const SipKey& key)
    : scope(cfg.scope),
      prefix_drop_digits(cfg.prefix_drop_digits),
      table(LimitTableOptions{RoundedCapacity(cfg.capacity), 64, key}) {}

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
      if (old && old->scope == c.scope && old->prefix_drop_digits == c.prefix_drop_digits &&
          old->table.capacity() == RoundedCapacity(c.capacity)) {
        l.state = std::move(old);
      }
    }
    if (!l.state) l.state = std::make_shared<LimitState>(c, cfg.hash_key);
    out->limits_.push_back(std::move(l));
  }
  return std::shared_ptr<const RateLimits>(std::move(out));
}

LimitVerdict RateLimits::Charge(const LimitSubject& job, int64_t now_ms) const {
  const int64_t now_ns = now_ms * kNsPerMs;
  const int64_t cost = job.segments < 1 ? 1 : job.segments;
  struct Charged {
    const Limit* limit;
    LimitTable::Ticket ticket;
  };
  std::array<Charged, kMaxLimits> charged;
  size_t n = 0;
  for (const Limit& l : limits_) {
    const std::string_view value = ValueFor(l, job);
    if (value.empty()) continue;  // e.g. carrier not known yet
    LimitCounters& counters = l.state->counters;
    const LimitTable::Charged c = l.state->table.Charge(value, l.params, now_ns, cost);
    if (c.status == LimitTable::Status::kAdmitted) {
      counters.admitted.fetch_add(1, std::memory_order_relaxed);
      charged[n++] = Charged{&l, c.ticket};
      continue;
    }
    LimitVerdict v;
    v.limit = l.cfg.name;
    LimitAction action = l.cfg.action;
    int64_t retry_ns = c.retry_at_ns;
    if (c.status == LimitTable::Status::kFull) {
      counters.table_full.fetch_add(1, std::memory_order_relaxed);
      if (l.cfg.on_full == FullPolicy::kFailOpen) continue;
      v.detail = l.description + ": table full, failing closed";
      // No bucket to ask: live buckets free up within one emission interval per unit of cost.
      retry_ns = now_ns + cost * l.params.emission_ns;
    } else if (c.retry_at_ns == kNeverNs) {
      counters.cost_over_burst.fetch_add(1, std::memory_order_relaxed);
      v.detail = l.description + ": " + std::to_string(cost) + " segments exceed the burst";
      action = LimitAction::kReject;  // deferring cannot help
    } else {
      v.detail = l.description + " exceeded";
    }
    // All or nothing: give back what this job already took, latest first.
    while (n > 0) {
      --n;
      charged[n].limit->state->table.Refund(charged[n].ticket, charged[n].limit->params, cost);
      charged[n].limit->state->counters.refunded.fetch_add(1, std::memory_order_relaxed);
    }
    if (action == LimitAction::kDefer) {
      counters.deferred.fetch_add(1, std::memory_order_relaxed);
      v.kind = LimitVerdict::Kind::kDefer;
      v.retry_at_ms = CeilMs(retry_ns);
    } else {
      counters.rejected.fetch_add(1, std::memory_order_relaxed);
      v.kind = LimitVerdict::Kind::kReject;
    }
    return v;
  }
  return LimitVerdict{};
}

LimitVerdict RateLimits::Peek(const LimitSubject& job, int64_t now_ms) const {
  const int64_t now_ns = now_ms * kNsPerMs;
  const int64_t cost = job.segments < 1 ? 1 : job.segments;
  for (const Limit& l : limits_) {
    const std::string_view value = ValueFor(l, job);
    if (value.empty()) continue;
    const LimitTable::Charged c = l.state->table.Peek(value, l.params, now_ns, cost);
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
    out.push_back(LimitStats{l.cfg.name, l.cfg.scope, c.admitted.load(), c.rejected.load(),
                             c.deferred.load(), c.refunded.load(), c.table_full.load(),
                             c.cost_over_burst.load(), l.state->table.capacity(),
                             l.state->table.MemoryBytes()});
  }
  return out;
}

size_t RateLimits::MemoryBytes() const {
  size_t total = 0;
  for (const Limit& l : limits_) total += l.state->table.MemoryBytes();
  return total;
}

std::shared_ptr<LimitState> RateLimits::StateOf(std::string_view name) const {
  for (const Limit& l : limits_) {
    if (l.cfg.name == name) return l.state;
  }
  return nullptr;
}

}  // namespace sd
