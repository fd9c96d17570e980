#pragma once
// The Lua scripts that make each state change on Redis atomic. Each runs in one round trip
// and many are pipelined per loop turn. docs/redis.md explains the protocol.
#include <string>

namespace sd::redis {

struct LuaScript {
  const char* name;
  const char* body;
  std::string sha1;  // filled by ComputeSha1 at start-up, for EVALSHA
};

// KEYS: idem key, outcome guard key. ARGV: entry id, ttl ms.
// Returns 0 new, 1 resume (same entry, no outcome yet), 2 already done, 3 replay.
extern LuaScript kClaimScript;

// KEYS: outcome guard, outcomes stream, jobs stream[, correlation key].
// ARGV: entry id, group, guard ttl ms, outcome maxlen, correlation ttl ms, correlation value,
//       outcome field/value pairs...
// Writes the outcome only if the guard was not set yet; always XACKs. Returns 1 if written.
extern LuaScript kCommitScript;

// KEYS: correlation key, receipts stream, quarantine stream, receipt guard key.
// ARGV: maxlen, guard ttl ms, receipt field/value pairs...
// Returns 1 matched, 0 unmatched (quarantined), 2 duplicate (already recorded).
extern LuaScript kReceiptScript;

// KEYS: jobs stream, dead-letter stream, outcomes stream, outcome guard.
// ARGV: entry id, group, guard ttl ms, maxlen, deliveries, entry field/value pairs...
extern LuaScript kDeadLetterScript;

void ComputeScriptHashes();

}  // namespace sd::redis
