#pragma once
// The admission decision for one stream entry. Pure: no I/O, injected clock. Stages, in order
// (the first refusal names the reason; docs/policy.md "How it is wired"):
//   1. envelope    malformed / unsupported_version / too_large (docs/jobs.md §1, CheckEntry)
//   2. key         unknown_key, revoked_key, key_not_active (registry keys: validity window)
//   3. signature   bad_signature (nothing unauthenticated reaches the decoder)
//   4. decode      the msgpack job map
//   5. timing      malformed validity, clock_skew, expired
//   6. syntax      invalid_number (E.164), invalid_sender, invalid_text, text_too_long
//                  (the daemon's max_segments)
//   7. scopes      kind_not_allowed, sender_not_allowed, text_too_long (the key's
//                  max_segments), otp_template_mismatch
//   8. number      invalid_number, premium_number, high_risk_prefix, not_mobile,
//                  country_not_allowed (NumberChecker; without one, a key with a country
//                  scope fails closed)
//   9. opt-out     opted_out: the destination wrote STOP to the job's sender (or its group),
//                  or STOPALL, and the rules cover the job's kind (core/optout.h); then
//                  pumping_suspected for a blocked destination prefix (core/block_list.h)
//  10. content     blocked_content, url_not_allowed, shortener_not_allowed, lookalike_domain;
//                  rules with action "flag" pass and are reported in Decision::flagged
//  11. route       no_route: the carriers the job goes to (core/router.h), when the snapshot
//                  has routes; the first of them is the carrier the carrier limits charge;
//                  then a send_at still ahead defers the job to it (Decision::scheduled),
//                  then quiet_hours: the recipient's local night for the job's kind defers it
//                  to the morning, or refuses it if it expires first (core/quiet_hours.h)
//  12. limits      rate_limited (reject) or a deferral; charged in segments and LAST, so a job
//                  refused by any earlier stage consumes no rate budget. Test keys' jobs are
//                  kept out of the (live) limits. A fleet-wide limit with no leased tokens
//                  here yet sets Decision::awaiting_lease instead. Before the limits, the
//                  segment quotas of the key and its tenant: quota_exceeded (core/quotas.h).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/decision_config.h"
#include "core/job.h"
#include "core/key_ring.h"
#include "core/mac.h"
#include "core/policy_snapshot.h"
#include "core/result.h"
#include "core/sms_text.h"

namespace sd {

struct Admitted {
  Job job;
  EncodedText text;
  // The carriers to try, in order (empty without a route stage: the dispatcher's only one).
  RouteChoice route;
  // Signed with a test key: the dispatcher sends it to the built-in test carrier only.
  bool test_mode = false;
  // The recipient's time zones (LocalTimes::Place), for quiet hours at the submit gate.
  ZoneSet zones = kNoZones;
};

struct Decision {
  // Admitted, or the refusal. A deferral is an error (rate_limited) with deferred set.
  Result<Admitted> result = Error{};
  // A rate limit with action "defer" refused the job for now, or its send_at is still ahead
  // (`scheduled`, reason kNone): it is to be retried at retry_at_ms (DeferQueue), not given an
  // outcome.
  bool deferred = false;
  bool scheduled = false;
  int64_t retry_at_ms = 0;
  // A fleet-wide rate limit has asked Redis for a lease of tokens for this job (error reason
  // kNone, nothing charged): the caller holds the entry and decides it again once the lease
  // is answered (core/limit_leases.h). Never set with LimitMode::kPeek.
  bool awaiting_lease = false;
  // Best-effort identifiers for the outcome even when rejected (empty if undecodable).
  std::string job_id;
  std::string client_ref;
  // The job's destination once decoded (for the masked audit record), else empty.
  std::string destination;
  JobKind kind = JobKind::kTransactional;  // once decoded (the pumping rules' kinds)
  // Content rules with action "flag" that matched an admitted (or later refused) text.
  std::vector<std::string> flagged;
};

// How stage 11 treats the rate limits: charge them (the dispatcher), or only say whether they
// would pass (the HTTPS API answers 429 early; the dispatcher charges the job once it is
// read from the stream). With kPeek a refusal sets Decision::retry_at_ms for rejects too.
enum class LimitMode : uint8_t { kCharge, kPeek };

// The whole decision under one policy snapshot. With routes in the snapshot, the routed
// carrier is what carrier rate limits charge; without, `carrier` names the carrier the job
// would go to (empty skips carrier limits).
Decision Decide(const StreamEntry& entry, const PolicySnapshot& policy, const MacAlgorithm& mac,
                const Clock& clock, std::string_view carrier = {},
                LimitMode limits = LimitMode::kCharge);

// The same decision for a job the caller built, encoded into `entry` and signed itself under
// `key`, a registry key it took from `policy` and checked (CheckKey) at the same time (the
// HTTPS API): the stages from the job's fields on. Its own signature is not verified and its
// own encoding not decoded again; the dispatcher decides the entry in full when it reads it.
Decision DecideBuilt(const StreamEntry& entry, Job job, const RegisteredKey& key,
                     const PolicySnapshot& policy, const Clock& clock, std::string_view carrier,
                     LimitMode limits);

// Stage 9's opt-out check, also asked by the submit gate (core/submit_gate.h) for a job that
// waited while its recipient wrote STOP: refused when `destination` opted out of `sender`'s
// scope or of every sender, and the rules cover `kind`.
std::optional<Error> CheckOptOut(const PolicyParts& parts, std::string_view sender, JobKind kind,
                                 std::string_view destination);

// Key-file keys only (no scopes, number checker, scanner or limits): stages 1-6.
Decision Decide(const StreamEntry& entry, const KeyRing& keys, const MacAlgorithm& mac,
                const Clock& clock, const DecisionConfig& cfg);

}  // namespace sd
