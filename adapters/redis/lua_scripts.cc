#include "adapters/redis/lua_scripts.h"

#include <openssl/sha.h>

#include <utility>

#include "adapters/redis/lua_bodies.h"  // generated from adapters/redis/lua/*.lua

namespace sd::redis {
namespace {

std::string Sha1Hex(std::string_view b) {
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(b.data()), b.size(), md);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : md) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

// The reply codes of lua_scripts.h as Lua locals, in front of every body.
std::string ReplyCodes() {
  std::string out;
  auto def = [&out](const char* name, long long value) {
    out += "local ";
    out += name;
    out += " = ";
    out += std::to_string(value);
    out += "\n";
  };
  def("CLAIM_NEW", kClaimNew);
  def("CLAIM_RESUME", kClaimResume);
  def("CLAIM_DONE", kClaimDone);
  def("CLAIM_REPLAY", kClaimReplay);
  def("COMMIT_ALREADY_THERE", kCommitAlreadyThere);
  def("COMMIT_WRITTEN", kCommitWritten);
  def("RECEIPT_UNMATCHED", kReceiptUnmatched);
  def("RECEIPT_WRITTEN", kReceiptWritten);
  def("RECEIPT_DUPLICATE", kReceiptDuplicate);
  def("RECEIPT_PART_NOTED", kReceiptPartNoted);
  def("RECEIPT_NOT_YET", kReceiptNotYet);
  def("DEFER_GONE", kDeferGone);
  def("DEFER_DONE", kDeferDone);
  def("DEFER_OTHER_CONSUMER", kDeferOtherConsumer);
  return out;
}

LuaScript Make(const char* name, const char* body) {
  std::string whole = ReplyCodes() + body;
  std::string sha1 = Sha1Hex(whole);
  return LuaScript{name, std::move(whole), std::move(sha1)};
}

}  // namespace

// The claims whose SET NX found a record (the store sends the others as plain commands in one
// MULTI/EXEC, redis_job_store_writes.cc), a batch per call (pairs of KEYS and ARGV per job).
// The script bodies are adapters/redis/lua/<name>.lua, embedded at build time
// (adapters/redis/CMakeLists.txt writes lua_bodies.h); the layouts are described here.
const LuaScript kClaimScript = Make("claim", lua::k_claim);

// Scripts are atomic but not transactional: a command that fails half-way (an XADD to a key
// of the wrong type, a permission missing from the ACL) leaves the earlier writes in place.
// So the first write of each script is an XADD through pcall that returns its error before
// anything was written, and guards are set only after the writes they protect: a retry after
// an error redoes exactly the part that did not happen.
// (The helpers are adapters/redis/lua/xadd_helpers.lua.)

// A batch of commits in one call. KEYS: outcomes stream, jobs stream, then per outcome its
// guard, its job id's idempotency record (the guard again without a job id), its correlation
// keys (none for a rejection, one per part when submitted) and, for a job the HTTPS API made,
// its status record and the record's key in the format before (api_status_record.h). The
// idempotency record of a job this
// entry claimed doubles as its guard ("<entry>|done", same TTL): one key per job fewer for
// Redis to create and expire. Entries that own no record (rejected before the claim, replays)
// use the guard key.
// ARGV: group, correlation ttl, maxlen, guard ttl, then per outcome: entry id, number of
// correlation keys, number of outcome field/value strings, '1' for an API job (else '0'), the
// outcome's field/value strings, one correlation value per key, for an API job the fields its
// status record takes, encoded (api_status_record.h): appended while the record exists.
// Everything per job is computed by the store (the per-part correlation values, which fields
// the API's record takes): the script only moves arguments into commands, since Lua work per
// job is what made the scripts cost Redis several times the commands they run.
// Check and mark are one command: SET ... GET turns "<entry>" into "<entry>|done" and says
// what was there. The guard decides everything: a second commit of the same entry (a retry
// after a lost reply, or a second daemon racing) only acknowledges. Scripts are atomic but
// not transactional, so a failing outcome XADD (a key of the wrong type, a missing ACL
// permission) puts the record back before the error is returned: the retry of the batch finds
// the entries before it done and writes the rest. One XACK names every entry of the batch.
const LuaScript kCommitManyScript = Make("commit_many", lua::k_commit_many);

// A batch of receipts (those of one loop turn) in one call. KEYS: receipts stream, quarantine
// stream, then per receipt its correlation key and its quarantine guard. ARGV: maxlen, ttl,
// aggregation key prefix, the API's status record prefix and that of the format before
// (api_status_record.h), then per receipt: state, final ('1'/'0'), last try ('1'/'0'; '2': the
// carrier could not parse it, quarantine it at once with reason unparsable, unguarded), the
// number of fields, the receipt's field/value pairs without the state (carrier and message_id
// first: the state follows them). Returns per receipt 0 quarantined (no correlation on the
// last try), 1 written, 2 duplicate, 3 one part of a multipart job noted (the job's receipt
// waits for the others, or its state did not change), 4 no correlation yet and not the last
// try (nothing written). On a failed XADD the error is returned: receipts before it in the
// batch are recorded already, so the retry of the batch finds them as duplicates and does
// the rest.
// Duplicates: the states a part has had receipts for are appended to its correlation value
// (";delivered;"), which lives as long as a receipt can still match. A separate guard key per
// receipt cost Redis a key with a TTL per job for a case (an SMSC redelivering a receipt it
// got no answer for) that is rare; only the quarantine, which has no correlation value to
// note it in, still uses one.
// A multipart job gets ONE receipt when every part has a final state: delivered if all were,
// else the worst part state. A part whose state changes after that (ACCEPTD, then DELIVRD)
// writes the job's receipt again if the job's state changes with it. The part states live
// in a hash next to the correlation keys, with the same TTL; it is updated after the job's
// receipt is written, so a failed XADD leaves nothing behind and the retry does the whole step
// again.
const LuaScript kReceiptScript = Make("receipt", lua::k_receipt);

// Checks the pending list first, so a re-sent dead-letter (lost reply) does not copy the entry
// to the dead-letter stream twice: the XACK at the end is what marks it done.
const LuaScript kDeadLetterScript = Make("dead_letter", lua::k_dead_letter);

// XPENDING per id tells the current owner; only entries still ours are touched, so a consumer
// that was presumed dead never takes back what another one reclaimed meanwhile.
const LuaScript kTouchScript = Make("touch", lua::k_touch);

// ---- Producers' HTTPS API (adapters/redis/api_store.cc) -----------------------------------

// Reads before it writes: a seen idempotency key or a used signature returns before anything
// is written, so the one step either writes every job and both records or nothing (an XADD to
// the jobs stream only fails when the key holds another type, a deployment error).
const LuaScript kApiSubmitScript = Make("api_submit", lua::k_api_submit);

// One script with three modes, so a deployment loads (and its ACL allows) one more SHA.
const LuaScript kInboundScript = Make("inbound", lua::k_inbound);

// Each change is made, logged with the version it made and audited in the one call: a daemon
// that follows the log sees every change in order, or a gap in the versions when the log was
// trimmed past it (then it reads the hash whole).
const LuaScript kOptOutsScript = Make("optouts", lua::k_optouts);

// ---- Audit and delay queue (adapters/redis/audit_log.cc, delay_queue.cc) --------------

// Status callbacks (status_queue.h): an event that could not be delivered in time is copied to
// the dead-letter stream and acknowledged in one step. XPENDING first, so a re-sent call (lost
// reply) finds the entry acknowledged and copies nothing twice.
// KEYS: the source stream (outcomes or receipts), the dead-letter stream.
// ARGV: group, entry id, dead-letter maxlen, field/value pairs. Returns 1 moved, 0 not pending.
const LuaScript kCallbackDeadScript = Make("callback_dead", lua::k_callback_dead);

// Only one write: if the XADD fails, nothing happened and the retry redoes it.
const LuaScript kAuditScript = Make("audit", lua::k_audit);

// The pending check makes a re-sent deferral (lost reply) a no-op: the XACK at the end of the
// first run took the entry off the pending list, and the mover may since have put the job back
// as a new entry, which a second ZADD would duplicate. The ZADD goes first through pcall: a
// failure (wrong type, ACL) returns before anything was written. Killed anywhere (daemon or
// Redis), the script has run whole or not at all: the job is on the pending list or in the set.
const LuaScript kDeferScript = Make("defer", lua::k_defer);

// XADD and ZREM of each member in one atomic call: a member is on the stream or in the set,
// never both and never neither, and two daemons running this at once cannot both move it (the
// second finds it gone from the range). Redis replicates and persists a script's effects as
// one MULTI/EXEC, so a Redis crash also keeps them together. A member that does not decode
// (written by something else) goes back raw, so the dispatcher rejects it with an outcome
// instead of it blocking the head of the set for ever.
const LuaScript kMoveDueScript = Make("move_due", lua::k_move_due);

// The daemon's counters as one hash, replaced whole (a counter that disappeared from the
// daemon disappears here too) and expiring, so a daemon that stopped leaves nothing stale.
// KEYS: the hash. ARGV: ttl ms, then field/value pairs.
const LuaScript kStatsScript = Make("stats", lua::k_stats);

// One script with two modes (take a lease, give tokens back): one more SHA to load and allow.
// It reads and writes one key, so it stays in one slot on a Redis Cluster.
const LuaScript kLimitLeaseScript = Make("limit_lease", lua::k_limit_lease);

// Both counters in one step, so the day and the month never disagree about a lease.
const LuaScript kQuotaLeaseScript = Make("quota_lease", lua::k_quota_lease);

const std::vector<const LuaScript*>& AllScripts() {
  static const std::vector<const LuaScript*> kAll{
      &kClaimScript, &kCommitManyScript, &kReceiptScript, &kDeadLetterScript, &kTouchScript,
      &kAuditScript, &kDeferScript,      &kMoveDueScript, &kStatsScript, &kCallbackDeadScript};
  return kAll;
}

std::string EncodeCorrelation(std::string_view entry_id, std::string_view job_id,
                              std::string_view client_ref, std::string_view key_id, size_t part,
                              size_t parts) {
  const std::string seq = parts > 1 ? std::to_string(part) : "";
  const std::string total = parts > 1 ? std::to_string(parts) : "";
  std::string_view names[6] = {entry_id, job_id, client_ref, key_id, seq, total};
  const size_t n = parts > 1 ? 6 : 4;
  bool plain = true;
  size_t size = 1;
  for (size_t i = 0; i < n; ++i) {
    plain = plain && names[i].find_first_of("\x1e\x1f") == std::string_view::npos;
    size += names[i].size() + 1;
  }
  std::string out;
  out.reserve(size + 8 * n);
  if (plain) out.push_back('\x1e');
  for (size_t i = 0; i < n; ++i) {
    if (!plain) {
      out += std::to_string(names[i].size());
      out.push_back(':');
    }
    out += names[i];
    if (plain) out.push_back('\x1f');
  }
  return out;
}

}  // namespace sd::redis
