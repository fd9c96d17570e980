#include "core/decision.h"

#include <optional>
#include <utility>

#include "core/addresses.h"
#include "core/envelope.h"
#include "core/url_extract.h"

namespace sd {
namespace {

Decision Reject(Reason r, std::string detail) {
  Decision d;
  d.result = Error{r, std::move(detail)};
  return d;
}

const UrlRules& NoOperatorUrlRules() {
  static const UrlRules kNone{};
  return kNone;
}

// Authenticate before parsing: nothing unauthenticated reaches the msgpack decoder. The
// snapshot's prepared key is used only when it was prepared with this same algorithm.
bool Authentic(const StreamEntry& entry, std::string_view secret, const PolicySnapshot* policy,
               const MacAlgorithm& mac, const DecisionConfig& cfg) {
  const PreparedMac* prepared = policy != nullptr && policy->parts().mac == &mac
                                    ? policy->PreparedKeyOf(entry.key_id)
                                    : nullptr;
  return prepared != nullptr
             ? VerifyJobSignature(*prepared, entry.key_id, cfg.stream, entry.job, entry.sig)
             : VerifyJobSignature(mac, secret, entry.key_id, cfg.stream, entry.job, entry.sig);
}

// The job's own fields against the clock and the contract: times, number, sender.
std::optional<Error> CheckJobFields(const Job& job, const DecisionConfig& cfg, int64_t now) {
  if (job.expires_ms <= job.created_ms) {
    return Error{Reason::kMalformed, "expires must be after created"};
  }
  if (job.expires_ms - job.created_ms > cfg.max_validity_ms) {
    return Error{Reason::kMalformed, "validity longer than the maximum allowed"};
  }
  if (job.send_at_ms != 0 && job.send_at_ms >= job.expires_ms) {
    return Error{Reason::kMalformed, "send_at must be before expires"};
  }
  if (job.created_ms > now + cfg.max_future_skew_ms) {
    return Error{Reason::kClockSkew, "created too far in the future"};
  }
  if (job.expires_ms <= now) return Error{Reason::kExpired, "expired before it was read"};
  if (!IsE164(job.destination)) {
    return Error{Reason::kInvalidNumber, "destination is not E.164"};
  }
  if (!IsValidSender(job.sender)) return Error{Reason::kInvalidSender, "sender id not valid"};
  return std::nullopt;
}

// Number: what the destination is, where it is (`region`, for country routes; `type`, for
// its time zones), and whether the key may send there.
std::optional<Error> CheckDestination(const PolicyParts& parts, const Job& job,
                                      const DerivedScopes& scopes, std::string* region,
                                      NumberType* type) {
  if (parts.numbers != nullptr) {
    Result<NumberInfo> info = parts.numbers->Check(job.destination, scopes.countries);
    if (!info) return info.error();
    *region = std::move(info->region);
    *type = info->type;
  } else if (!scopes.countries.any) {
    // The country cannot be known without the number library: fail closed.
    return Error{Reason::kCountryNotAllowed, "destination country unknown (no number checker)"};
  }
  return std::nullopt;
}

// The recipient's time zones, for quiet hours now and again at the submit gate (a reload may
// bring quiet hours while the job waits for its carrier). A prefix lookup, not a library call.
ZoneSet PlaceRecipient(const PolicyParts& parts, const Job& job, NumberType type) {
  if (parts.local_times == nullptr) return kNoZones;
  return parts.local_times->Place({job.destination, type});
}

// SMS-pumping blocks: the destination's prefix, blocked for every key or for this key's
// family (core/block_list.h). After the number checks (a refused number needs no block).
std::optional<Error> CheckBlocks(const PolicyParts& parts, const StreamEntry& entry, const Job& job,
                                 int64_t now) {
  if (parts.blocks == nullptr) return std::nullopt;
  const Block* b = parts.blocks->Find(KeyFamily(entry.key_id), job.destination, now);
  if (b == nullptr) return std::nullopt;
  return Error{Reason::kPumpingSuspected,
               "destination prefix " + b->prefix + " is blocked" +
                   (b->key_family.empty() ? "" : " for key " + b->key_family) + " by " +
                   (b->rule == "operator" ? std::string("an operator") : "rule '" + b->rule + "'") +
                   " until " + std::to_string(b->until_ms) + " (Unix ms)"};
}

}  // namespace

std::optional<Error> CheckOptOut(const PolicyParts& parts, std::string_view sender, JobKind kind,
                                 std::string_view destination) {
  if (parts.optouts == nullptr || parts.optout_rules == nullptr || parts.optouts->size() == 0 ||
      !parts.optout_rules->AppliesTo(kind)) {
    return std::nullopt;
  }
  const std::optional<uint64_t> number = NumberCode(destination);
  if (!number) return std::nullopt;  // not E.164: stage 6 refused it already
  std::string scopes[3];
  const size_t n = parts.optout_rules->ScopesRefusing(sender, scopes);
  for (size_t i = 0; i < n; ++i) {
    if (!parts.optouts->Contains({ScopeHash(scopes[i]), *number})) continue;
    return Error{Reason::kOptedOut, scopes[i] == kScopeAll
                                        ? std::string("the recipient opted out of every sender")
                                        : "the recipient opted out of " + scopes[i]};
  }
  return std::nullopt;
}

namespace {

// Content: operator rules and URLs against the operator's lists and the key's URL policy.
std::optional<Error> CheckContent(const PolicyParts& parts, const Job& job,
                                  const DerivedScopes& scopes, std::vector<std::string>* flagged) {
  if (parts.content != nullptr) {
    Result<ScanReport> scan = parts.content->Scan(job.text, scopes.urls);
    if (!scan) return scan.error();
    *flagged = std::move(scan->flagged);
  } else if (scopes.urls.mode != UrlScope::Mode::kAny) {
    if (parts.domains == nullptr) {
      return Error{Reason::kUrlNotAllowed, "the key's URL policy cannot be checked here"};
    }
    std::optional<Error> refused;
    ForEachUrl(job.text, *parts.domains, [&](const FoundUrl& url) {
      refused = JudgeUrl(url, NoOperatorUrlRules(), scopes.urls, *parts.domains);
      return !refused.has_value();
    });
    return refused;
  }
  return std::nullopt;
}

// Route: after every check of the job itself (a refused job needs no carrier), before the
// limits, so a carrier limit charges the carrier the job is routed to.
std::optional<Error> ChooseRoute(const PolicyParts& parts, const Job& job,
                                 const std::string& region, RouteChoice* route,
                                 std::string_view* carrier) {
  if (parts.router == nullptr) return std::nullopt;
  if (!parts.router->Find(job.destination, region, job.kind, route)) {
    return Error{Reason::kNoRoute, std::string("no route for this destination and kind ") +
                                       std::string(JobKindName(job.kind))};
  }
  *carrier = parts.router->CarrierName(route->carriers[0]);
  return std::nullopt;
}

// A scheduled send not yet due waits in the delay queue, charged nothing; when due it is
// decided again from the start (key, signature, opt-outs, limits: all as of then).
std::optional<Error> Schedule(const Job& job, int64_t now, Decision* d) {
  if (job.send_at_ms <= now) return std::nullopt;
  d->deferred = true;
  d->scheduled = true;
  d->retry_at_ms = job.send_at_ms;
  return Error{Reason::kNone, "scheduled for " + std::to_string(job.send_at_ms) + " (Unix ms)"};
}

// Quiet hours in the recipient's time zones: deferred to when they end, or refused when the
// job would expire first (or the zones' windows never meet).
std::optional<Error> HoldForQuietHours(const PolicyParts& parts, const Job& job, ZoneSet zones,
                                       int64_t now, Decision* d) {
  if (parts.quiet == nullptr) return std::nullopt;
  const QuietVerdict v = parts.quiet->Check(job.kind, zones, now);
  if (v.rule == nullptr) return std::nullopt;
  const std::string why = "quiet hours " + v.rule->text + " in the recipient's time zone";
  if (v.opens_ms == 0) {
    return Error{Reason::kQuietHours, why + ": its time zones never leave them together"};
  }
  if (v.opens_ms >= job.expires_ms) {
    return Error{Reason::kQuietHours, why + " until " + std::to_string(v.opens_ms) +
                                          " (Unix ms), after the job expires"};
  }
  d->deferred = true;
  d->retry_at_ms = v.opens_ms;
  return Error{Reason::kQuietHours, why + " until " + std::to_string(v.opens_ms) + " (Unix ms)"};
}

// A quota's detail names segments; with [[quota_cost]] its figures are cost units.
std::string InQuotaUnits(const PolicyParts& parts, std::string detail) {
  constexpr std::string_view kSegments = " segments)";
  const size_t at = detail.find(kSegments);
  if (parts.quota_costs != nullptr && at != std::string::npos) {
    detail.replace(at, kSegments.size(), " units)");
  }
  return detail;
}

// The segment quotas of the job's key and tenant (core/quotas.h): used up is a refusal
// (quota_exceeded); no segments leased here yet makes the job wait like a fleet-wide limit.
std::optional<Error> ChargeQuotas(const PolicyParts& parts, const StreamEntry& entry, int64_t cost,
                                  int64_t now, Decision* d) {
  if (parts.quotas == nullptr) return std::nullopt;
  Quotas::Verdict q = parts.quotas->Charge(entry.key_id, cost, now);
  switch (q.kind) {
    case Quotas::Verdict::Kind::kAdmit:
      return std::nullopt;
    case Quotas::Verdict::Kind::kAwait:
      d->awaiting_lease = true;
      return Error{Reason::kNone, "waiting for a quota lease"};
    case Quotas::Verdict::Kind::kExceeded:
      break;
  }
  return Error{Reason::kQuotaExceeded, InQuotaUnits(parts, std::move(q.detail))};
}

// Rate limits last: only a job every other stage admitted is charged. The key's own rate
// first; if a configured limit then refuses, the key's charge is given back (all or nothing,
// as within RateLimits). A deferral sets d->deferred and d->retry_at_ms.
std::optional<Error> ChargeLimits(const PolicyParts& parts, const StreamEntry& entry,
                                  const Job& job, const DerivedScopes& scopes,
                                  std::string_view carrier, int64_t cost, int64_t quota_units,
                                  int64_t now, Decision* d) {
  KeyRateBucket* key_rate = scopes.rate.get();
  if (key_rate != nullptr) {
    const GcraVerdict v = GcraCharge(*key_rate->tat, key_rate->params, now * 1'000'000, cost);
    if (!v.admitted) {
      return Error{Reason::kRateLimited,
                   key_rate->description +
                       (v.retry_at_ns == kNeverNs ? ": segments exceed the burst" : " exceeded")};
    }
  }
  // Quotas before the limits: a quota charge can be given back when a limit refuses, a
  // limit's charge cannot be taken back from outside it.
  if (std::optional<Error> e = ChargeQuotas(parts, entry, quota_units, now, d)) {
    if (key_rate != nullptr) GcraRefund(*key_rate->tat, key_rate->params, cost);
    return e;
  }
  if (parts.limits == nullptr) return std::nullopt;
  const LimitSubject subject{entry.key_id, job.destination, job.sender, carrier, cost};
  LimitVerdict v = parts.limits->Charge(subject, now);
  if (v.kind != LimitVerdict::Kind::kAdmit) {
    if (key_rate != nullptr) GcraRefund(*key_rate->tat, key_rate->params, cost);
    if (parts.quotas != nullptr) parts.quotas->Refund(entry.key_id, quota_units, now);
  }
  switch (v.kind) {
    case LimitVerdict::Kind::kAdmit:
      return std::nullopt;
    case LimitVerdict::Kind::kReject:
      return Error{Reason::kRateLimited, std::move(v.detail)};
    case LimitVerdict::Kind::kAwaitLease:
      // Not a refusal: nothing was charged, and the job is decided again (all stages, as of
      // then) once the fleet-wide bucket answered the lease.
      d->awaiting_lease = true;
      return Error{Reason::kNone, std::move(v.detail)};
    case LimitVerdict::Kind::kDefer:
      // A job that would expire before it may go is refused now, not deferred until then.
      if (v.retry_at_ms >= job.expires_ms) {
        return Error{Reason::kRateLimited,
                     std::move(v.detail) + "; it would expire before it may be sent"};
      }
      d->deferred = true;
      d->retry_at_ms = v.retry_at_ms;
      return Error{Reason::kRateLimited, std::move(v.detail)};
  }
  return std::nullopt;
}

// Stage 11 without charging (LimitMode::kPeek): the first limit that would refuse.
std::optional<Error> PeekLimits(const PolicyParts& parts, const StreamEntry& entry, const Job& job,
                                const DerivedScopes& scopes, std::string_view carrier, int64_t cost,
                                int64_t quota_units, int64_t now, Decision* d) {
  if (const KeyRateBucket* key_rate = scopes.rate.get()) {
    const GcraVerdict v = GcraPeek(*key_rate->tat, key_rate->params, now * 1'000'000, cost);
    if (!v.admitted) {
      const bool never = v.retry_at_ns == kNeverNs;
      d->retry_at_ms = never ? 0 : (v.retry_at_ns + 999'999) / 1'000'000;
      return Error{Reason::kRateLimited,
                   key_rate->description +
                       (never ? ": segments exceed the burst" : " exceeded")};
    }
  }
  // A quota this daemon was just told is used up: the API answers 429 quota_exceeded at once.
  if (parts.quotas != nullptr) {
    if (std::optional<std::string> why = parts.quotas->Peek(entry.key_id, quota_units, now)) {
      return Error{Reason::kQuotaExceeded, InQuotaUnits(parts, std::move(*why))};
    }
  }
  if (parts.limits == nullptr) return std::nullopt;
  LimitVerdict v = parts.limits->Peek({entry.key_id, job.destination, job.sender, carrier, cost},
                                      now);
  if (v.kind != LimitVerdict::Kind::kReject) return std::nullopt;  // a deferral is accepted
  d->retry_at_ms = v.retry_at_ms;
  return Error{Reason::kRateLimited, std::move(v.detail)};
}

// The policy stages (scopes, number, content, route, limits) for an authentic, well-formed
// job; fills `out->route`, `out->zones` and `d->flagged`, or returns the refusal.
std::optional<Error> ApplyPolicy(const PolicySnapshot& policy, const StreamEntry& entry,
                                 const RegisteredKey* registered, const Job& job,
                                 const EncodedText& text, std::string_view carrier, int64_t now,
                                 LimitMode limits, Admitted* out, Decision* d) {
  // Scopes: what this key may be used for. Key-file keys have none (everything allowed).
  const DerivedScopes* scopes = &PolicySnapshot::AnyScopes();
  if (registered != nullptr) {
    if (std::optional<Error> e = CheckScopes(*registered, job, text.segments)) return e;
    if (const DerivedScopes* s = policy.ScopesOf(registered->record.id)) scopes = s;
  }
  const PolicyParts& parts = policy.parts();
  std::string region;  // for country routes; "DE" fits the small-string buffer
  NumberType type = NumberType::kUnknown;
  if (auto e = CheckDestination(parts, job, *scopes, &region, &type)) return e;
  if (auto e = CheckOptOut(parts, job.sender, job.kind, job.destination)) return e;
  if (auto e = CheckBlocks(parts, entry, job, now)) return e;
  if (auto e = CheckContent(parts, job, *scopes, &d->flagged)) return e;
  if (auto e = ChooseRoute(parts, job, region, &out->route, &carrier)) return e;
  if (auto e = Schedule(job, now, d)) return e;
  out->zones = PlaceRecipient(parts, job, type);
  if (auto e = HoldForQuietHours(parts, job, out->zones, now, d)) return e;
  if (registered != nullptr && registered->record.test_mode) return std::nullopt;
  // Against the quotas a segment costs what its country and carrier cost (core/quota_costs.h).
  const int64_t units = parts.quota_costs != nullptr
                            ? parts.quota_costs->UnitsFor(region, carrier, text.segments)
                            : text.segments;
  if (limits == LimitMode::kPeek) {
    return PeekLimits(parts, entry, job, *scopes, carrier, text.segments, units, now, d);
  }
  return ChargeLimits(parts, entry, job, *scopes, carrier, text.segments, units, now, d);
}

// The stages after the signing key is known. `policy` is null for the key-file-only overload.
// Stages 7 on: the decoded job under the key's scopes and the policy.
Decision DecideJob(const StreamEntry& entry, Job job, const RegisteredKey* registered,
                   const PolicySnapshot* policy, const DecisionConfig& cfg,
                   std::string_view carrier, int64_t now, LimitMode limits) {
  Decision d;
  d.job_id = job.id;
  d.client_ref = job.client_ref;
  d.destination = job.destination;
  d.kind = job.kind;
  auto reject = [&d](Error e) {
    d.result = std::move(e);
    return std::move(d);
  };
  if (auto e = CheckJobFields(job, cfg, now)) return reject(*std::move(e));
  Result<EncodedText> text = EncodeText(job.text);
  if (!text) return reject(text.error());
  if (text->segments > cfg.max_segments) {
    return reject(Error{Reason::kTextTooLong, "needs " + std::to_string(text->segments) +
                                                  " segments, at most " +
                                                  std::to_string(cfg.max_segments)});
  }
  Admitted placed;  // route and zones
  if (policy != nullptr) {
    if (auto e = ApplyPolicy(*policy, entry, registered, job, *text, carrier, now, limits, &placed,
                             &d)) {
      return reject(*std::move(e));
    }
  } else if (auto e = Schedule(job, now, &d)) {
    return reject(*std::move(e));
  }
  placed.job = std::move(job);
  placed.text = std::move(text).value();
  placed.test_mode = registered != nullptr && registered->record.test_mode;
  d.result = std::move(placed);
  return d;
}

Decision DecideWithKey(const StreamEntry& entry, std::string_view secret,
                       const RegisteredKey* registered, const PolicySnapshot* policy,
                       const MacAlgorithm& mac, const DecisionConfig& cfg, std::string_view carrier,
                       int64_t now, LimitMode limits = LimitMode::kCharge) {
  if (!Authentic(entry, secret, policy, mac, cfg)) {
    return Reject(Reason::kBadSignature, "signature does not verify");
  }
  Result<Job> job = DecodeJob(entry.job);
  if (!job) {
    Decision d;
    d.result = job.error();
    return d;
  }
  return DecideJob(entry, std::move(job).value(), registered, policy, cfg, carrier, now, limits);
}

// Stage 1: the entry's fields (docs/jobs.md §1), before any key is looked up, so a field that
// breaks §1 is malformed whatever else is wrong with it.
std::optional<Decision> CheckEnvelope(const StreamEntry& entry) {
  if (std::optional<Error> e = CheckEntry(entry)) return Reject(e->reason, std::move(e->detail));
  return std::nullopt;
}

}  // namespace

Decision Decide(const StreamEntry& entry, const PolicySnapshot& policy, const MacAlgorithm& mac,
                const Clock& clock, std::string_view carrier, LimitMode limits) {
  if (std::optional<Decision> bad = CheckEnvelope(entry)) return std::move(*bad);
  const int64_t now = clock.NowMs();
  const PolicyParts& parts = policy.parts();
  // Registry first: it knows revocation and validity windows; a key-file key of the same id
  // (during a migration) is only used when the registry does not know the id at all.
  if (parts.registry_keys != nullptr && parts.registry_keys->Find(entry.key_id) != nullptr) {
    Result<const RegisteredKey*> key = CheckKey(*parts.registry_keys, entry.key_id, now);
    if (!key) return Reject(key.error().reason, key.error().detail);
    return DecideWithKey(entry, (*key)->record.secret, *key, &policy, mac, policy.decision(),
                         carrier, now, limits);
  }
  if (parts.file_keys != nullptr) {
    if (const SigningKey* key = parts.file_keys->Find(entry.key_id)) {
      return DecideWithKey(entry, key->secret, nullptr, &policy, mac, policy.decision(), carrier,
                           now, limits);
    }
  }
  return Reject(Reason::kUnknownKey, "no such key");
}

Decision DecideBuilt(const StreamEntry& entry, Job job, const RegisteredKey& key,
                     const PolicySnapshot& policy, const Clock& clock, std::string_view carrier,
                     LimitMode limits) {
  return DecideJob(entry, std::move(job), &key, &policy, policy.decision(), carrier, clock.NowMs(),
                   limits);
}

Decision Decide(const StreamEntry& entry, const KeyRing& keys, const MacAlgorithm& mac,
                const Clock& clock, const DecisionConfig& cfg) {
  if (std::optional<Decision> bad = CheckEnvelope(entry)) return std::move(*bad);
  const SigningKey* key = keys.Find(entry.key_id);
  if (key == nullptr) return Reject(Reason::kUnknownKey, "no such key");
  return DecideWithKey(entry, key->secret, nullptr, nullptr, mac, cfg, {}, clock.NowMs());
}

}  // namespace sd
