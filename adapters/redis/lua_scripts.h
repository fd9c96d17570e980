#pragma once
// The Lua scripts that make each state change on Redis atomic. Each runs in one round trip
// and many are pipelined per loop turn; every one is idempotent, so re-sending it after a lost
// reply is safe. docs/redis.md explains the protocol and why it gives one outcome per entry.
#include <string>
#include <string_view>
#include <vector>

namespace sd::redis {

struct LuaScript {
  const char* name;
  std::string body;  // the reply codes below as Lua locals, then adapters/redis/lua/<name>.lua
  std::string sha1;  // lowercase hex SHA-1 of body: what EVALSHA and SCRIPT LOAD use
};

// The reply codes are defined once, here: every script body starts with them as Lua locals
// (CLAIM_NEW, COMMIT_WRITTEN, RECEIPT_NOT_YET, DEFER_DONE, ...), so a script returns the names
// the store compares against.

// A batch: KEYS idem key and outcome guard key per job; ARGV entry id and ttl ms per job.
// Returns an array, per job: 0 new, 1 resume, 2 already done, 3 replay.
// (resume = the same entry, redelivered, no outcome yet).
extern const LuaScript kClaimScript;
enum ClaimReply : long long { kClaimNew = 0, kClaimResume = 1, kClaimDone = 2, kClaimReplay = 3 };

// A batch of outcomes in one call (layout in lua_scripts.cc): per outcome, writes the outcome
// and its correlation keys (one per part) only if its guard was not set yet; always XACKs.
// Returns per outcome 1 written or 0 already there.
extern const LuaScript kCommitManyScript;
enum CommitReply : long long { kCommitAlreadyThere = 0, kCommitWritten = 1 };

// A batch of receipts (layout in lua_scripts.cc). Returns per receipt 1 written, 0 unmatched
// (quarantined), 2 duplicate (already recorded), 3 one part of a multipart job noted (its one
// receipt comes when all parts are final), 4 not matched yet (retried, then quarantined).
extern const LuaScript kReceiptScript;
enum ReceiptReply : long long {
  kReceiptUnmatched = 0,
  kReceiptWritten = 1,
  kReceiptDuplicate = 2,
  kReceiptPartNoted = 3,
  kReceiptNotYet = 4,
};

// KEYS: jobs stream, dead-letter stream, outcomes stream, outcome guard.
// ARGV: entry id, group, guard ttl ms, outcome maxlen, deliveries, key id, entry field/value
//       pairs...
// Returns 1 if moved, 0 if the entry was no longer pending (already handled).
extern const LuaScript kDeadLetterScript;

// KEYS: jobs stream. ARGV: group, consumer, entry ids...
// Resets the idle time of those pending entries that this consumer still owns (XCLAIM JUSTID,
// which does not count as a delivery), so live consumers' work is never XAUTOCLAIMed by others.
// Returns how many were still owned.
extern const LuaScript kTouchScript;

// Opt-out changes an operator makes (adapters/redis/optout_writes.h; the block is read by
// lua/optout_helpers.lua, which the inbound script includes too). Returns the changes made.
extern const LuaScript kOptOutsScript;

// KEYS: audit stream. ARGV: maxlen (0 = no trim), event field/value pairs...
// Appends one audit event. Returns the new id. (At least once: a retry after a lost reply may
// append the event twice; readers can drop an exact duplicate.)
extern const LuaScript kAuditScript;

// KEYS: jobs stream, delayed set[, idempotency record].
// ARGV: entry id, group, consumer, due ms, member (EncodeDelayedMember).
// If the entry is still pending for this consumer: ZADDs the member at the due score, DELs the
// idempotency record if it names this entry, XACKs. Returns 1 deferred, 0 no longer pending
// (done before: a retry after a lost reply, or an outcome), 2 pending for another consumer.
extern const LuaScript kDeferScript;
enum DeferReply : long long { kDeferGone = 0, kDeferDone = 1, kDeferOtherConsumer = 2 };

// KEYS: delayed set, jobs stream. ARGV: max members per call.
// Moves members due by Redis' clock (TIME) back onto the jobs stream (XADD v kid job sig) and
// ZREMs them. Returns {moved, undecodable (put back as a single field 'delayed'), due left}.
extern const LuaScript kMoveDueScript;

// KEYS: stats hash. ARGV: TTL ms, then field, value, field, value, ...
// Replaces the hash whole (fields of a previous run do not linger) and sets its TTL. Returns 1.
extern const LuaScript kStatsScript;

const std::vector<const LuaScript*>& AllScripts();

// The API's writes of one loop turn (api_store.h), each as one atomic step in the order given.
// KEYS: jobs stream, then per write: idempotency record, replay record, each job's status
//       record.
// ARGV: idempotency ttl ms, then per write: idempotency key ("0" none, "1" look up and record,
//       "2" look up only), has replay token, body hash (64 hex), response, replay ttl ms, job
//       count, then per job: kid, job, sig, status record as made (api_status_record.h; ""
//       none), its ttl ms. A signed write's first status record (made only if absent) is its
//       replay record; without one, the replay record key is.
// Returns one reply per write: {1, stored} when the idempotency record exists (stored = its
// body hash followed by the first answer), {2} when the replay record exists, else
// {0, entry ids...}.
extern const LuaScript kApiSubmitScript;

// Messages recipients send (inbound_store.h): modes one, part and commit, described in
// adapters/redis/lua/inbound.lua. Replies: 0 duplicate (or already written), 1 written or
// stored, {2, bodies...} every part of a message is in.
extern const LuaScript kInboundScript;

// Status callbacks: KEYS source stream, dead-letter stream; ARGV group, entry id, maxlen,
// field/value pairs. XADDs to the dead-letter stream and XACKs, if the entry is still
// pending; returns 1 moved, 0 not pending.
extern const LuaScript kCallbackDeadScript;

// A fleet-wide rate limit's bucket (lease_agent.h): KEYS the bucket; ARGV "take", emission
// us, tolerance us, units wanted -> {granted, retry after ms}; or "give", emission us, units
// -> {0, 0} (unspent tokens back). Redis' TIME is the one clock.
extern const LuaScript kLimitLeaseScript;

// Segment quotas (lease_agent_quotas.cc): KEYS day counter, month counter; ARGV "take" or
// "give", daily, monthly, units, day TTL ms, month TTL ms -> {granted, day used, month used}.
extern const LuaScript kQuotaLeaseScript;

// The correlation record's value: entry id, job id, client ref, key id, then for part `part` of
// a job in `parts` > 1 parts those two numbers. "\x1e" and each name followed by "\x1f", which
// the receipt script reads with plain finds; a name holding either byte (none of a job that
// passed its checks does: they are control characters) makes the value of the format before,
// each name as "<decimal length>:<bytes>", which any byte survives and the script still reads.
// The script appends the part's receipt states after it (";delivered;").
std::string EncodeCorrelation(std::string_view entry_id, std::string_view job_id,
                              std::string_view client_ref, std::string_view key_id, size_t part = 0,
                              size_t parts = 1);

}  // namespace sd::redis
