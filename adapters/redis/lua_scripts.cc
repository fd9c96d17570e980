#include "adapters/redis/lua_scripts.h"

#include <openssl/sha.h>

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

LuaScript Make(const char* name, const char* body) { return LuaScript{name, body, Sha1Hex(body)}; }

}  // namespace

// One call claims a whole batch (pairs of KEYS and ARGV per job): the per-call cost of a
// script in Redis, not the SET itself, dominates a call per job.
const LuaScript kClaimScript = Make("claim", R"lua(
local out = {}
for i = 1, #KEYS / 2 do
  local idem, guard, entry, ttl = KEYS[2 * i - 1], KEYS[2 * i], ARGV[2 * i - 1], ARGV[2 * i]
  if redis.call('SET', idem, entry, 'NX', 'PX', ttl) then
    out[i] = 0
  else
    local v = redis.call('GET', idem)
    if v == entry then
      if redis.call('EXISTS', guard) == 1 then out[i] = 2 else out[i] = 1 end
    elseif v == entry .. '|done' then
      out[i] = 2
    else
      out[i] = 3
    end
  end
end
return out
)lua");

// Scripts are atomic but not transactional: a command that fails half-way (an XADD to a key
// of the wrong type, a permission missing from the ACL) leaves the earlier writes in place.
// So the first write of each script is an XADD through pcall that returns its error before
// anything was written, and guards are set only after the writes they protect: a retry after
// an error redoes exactly the part that did not happen.
#define SD_LUA_XADD                                                                   \
  "local function xadd(key, maxlen, fields)\n"                                        \
  "  if tonumber(maxlen) > 0 then\n"                                                  \
  "    return redis.pcall('XADD', key, 'MAXLEN', '~', maxlen, '*', unpack(fields))\n" \
  "  end\n"                                                                           \
  "  return redis.pcall('XADD', key, '*', unpack(fields))\n"                          \
  "end\n"                                                                             \
  "local function failed(r) return type(r) == 'table' and r.err ~= nil end\n"           \
  "local function api_status(prefix, job, fields)\n"                                  \
  "  if string.sub(job, 1, 4) ~= 'api-' then return end\n"                            \
  "  local key = prefix .. job\n"                                                     \
  "  if redis.call('EXISTS', key) == 1 then redis.call('HSET', key, unpack(fields)) end\n" \
  "end\n"

// A batch of commits in one call. KEYS: outcomes stream, jobs stream, then per outcome its
// guard, its job id's idempotency record (the guard again without a job id), its correlation
// keys (none for a rejection, one per part when submitted) and, for a job the HTTPS API made
// whose status record is to be updated, that record. The idempotency record of a job this
// entry claimed doubles as its guard ("<entry>|done", same TTL): one key per job fewer for
// Redis to create and expire. Entries that own no record (rejected before the claim, replays)
// use the guard key.
// ARGV: group, correlation ttl, maxlen, guard ttl, then per outcome: entry id, number of
// correlation keys, number of outcome field/value strings, number of API status pairs, the
// outcome's field/value strings, one correlation value per key, the API status pairs.
// Everything per job is computed by the store (the per-part correlation values, which fields
// the API's record takes): the script only moves arguments into commands, since Lua work per
// job is what made the scripts cost Redis several times the commands they run.
// Check and mark are one command: SET ... GET turns "<entry>" into "<entry>|done" and says
// what was there. The guard decides everything: a second commit of the same entry (a retry
// after a lost reply, or a second daemon racing) only acknowledges. Scripts are atomic but
// not transactional, so a failing outcome XADD (a key of the wrong type, a missing ACL
// permission) puts the record back before the error is returned: the retry of the batch finds
// the entries before it done and writes the rest. One XACK names every entry of the batch.
const LuaScript kCommitManyScript = Make("commit_many", R"lua(
local out = {}
local acks = {KEYS[2], ARGV[1]}
local function ack()
  if #acks > 2 then redis.call('XACK', unpack(acks)) end
end
local maxlen = tonumber(ARGV[3])
local a = 5
local k = 3
local i = 0
while k <= #KEYS do
  i = i + 1
  local guard, idem = KEYS[k], KEYS[k + 1]
  local entry = ARGV[a]
  local ncorr, nf, napi = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local f = a + 4
  local c = f + nf
  local p = c + ncorr
  out[i] = 0
  local done_value = entry .. '|done'
  local old = redis.call('SET', idem, done_value, 'XX', 'KEEPTTL', 'GET')
  local owned = old == entry
  local done = old == done_value
  if not owned and not done then
    if old then redis.call('SET', idem, old, 'XX', 'KEEPTTL') end
    done = redis.call('EXISTS', guard) == 1
  end
  if not done then
    local r
    if maxlen > 0 then
      r = redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', unpack(ARGV, f, c - 1))
    else
      r = redis.pcall('XADD', KEYS[1], '*', unpack(ARGV, f, c - 1))
    end
    if type(r) == 'table' and r.err ~= nil then
      if owned then redis.call('SET', idem, entry, 'XX', 'KEEPTTL') end
      ack()
      return r
    end
    for q = 0, ncorr - 1 do
      redis.call('SET', KEYS[k + 2 + q], ARGV[c + q], 'PX', ARGV[2])
    end
    if napi > 0 then
      local api = KEYS[k + 2 + ncorr]
      if redis.call('EXISTS', api) == 1 then
        redis.call('HSET', api, unpack(ARGV, p, p + 2 * napi - 1))
      end
    end
    if not owned then redis.call('SET', guard, '1', 'PX', ARGV[4]) end
    out[i] = 1
  end
  a = p + 2 * napi
  k = k + 2 + ncorr + (napi > 0 and 1 or 0)
  acks[#acks + 1] = entry
end
ack()
return out
)lua");

// A batch of receipts (those of one loop turn) in one call. KEYS: receipts stream, quarantine
// stream, then per receipt its correlation key and its quarantine guard. ARGV: maxlen, ttl,
// aggregation key prefix, the API's status record prefix, then per receipt: state, final ('1'/'0'), last try ('1'/'0'; '2': the
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
const LuaScript kReceiptScript = Make("receipt", SD_LUA_XADD R"lua(
local rank = {delivered = 0, accepted = 1, unknown = 2, deleted = 3, expired = 4,
              undelivered = 5, rejected = 6}
local function worst_of(states)
  local worst, delivered = 'delivered', 0
  for _, v in ipairs(states) do
    if v == 'delivered' then delivered = delivered + 1 end
    if (rank[v] or 2) > (rank[worst] or 2) then worst = v end
  end
  return worst, delivered
end
local function quarantine(guard, a, nf, state, reason)
  if guard and redis.call('EXISTS', guard) == 1 then return 2 end
  local f0 = a + 4
  local fields = {ARGV[f0], ARGV[f0 + 1], ARGV[f0 + 2], ARGV[f0 + 3], 'status', state,
                  unpack(ARGV, f0 + 4, f0 + nf - 1)}
  fields[#fields + 1] = 'reason'
  fields[#fields + 1] = reason
  local r = xadd(KEYS[2], ARGV[1], fields)
  if failed(r) then return r end
  if guard then redis.call('SET', guard, '1', 'PX', ARGV[2]) end
  return 0
end
local function one(corr_key, guard, a, nf)
  local state = ARGV[a]
  -- A receipt the carrier could not read (no message id): nothing to match it by, and no
  -- reliable way to tell a redelivery from another unreadable receipt (its raw text is cut
  -- at 254 bytes, and may be empty): filed every time, never dropped.
  if ARGV[a + 2] == '2' then return quarantine(nil, a, nf, state, 'unparsable') end
  local corr = redis.call('GET', corr_key)
  if not corr then
    -- Not matched yet and not the last try: the submit_sm_resp naming this id may still be on
    -- its way on another bind. Nothing is written; the store asks again a little later.
    if ARGV[a + 2] ~= '1' then return 4 end
    return quarantine(guard, a, nf, state, 'unmatched')
  end
  local parts = {}
  local i = 1
  while i <= #corr and #parts < 6 and string.sub(corr, i, i) ~= ';' do
    local colon = string.find(corr, ':', i, true)
    if not colon then break end
    local n = tonumber(string.sub(corr, i, colon - 1))
    if not n then break end
    parts[#parts + 1] = string.sub(corr, colon + 1, colon + n)
    i = colon + n + 1
  end
  local seen = string.sub(corr, i)
  if string.find(seen, ';' .. state .. ';', 1, true) then return 2 end
  local function note()
    if seen == '' then seen = ';' end
    redis.call('SET', corr_key, string.sub(corr, 1, i - 1) .. seen .. state .. ';', 'XX',
               'KEEPTTL')
  end
  local job_state = state
  local agg, seq
  local agg_fields = {}
  local total = tonumber(parts[6] or '1') or 1
  if total > 1 then
    seq = parts[5]
    if ARGV[a + 1] ~= '1' then
      note()
      return 3
    end
    agg = ARGV[3] .. (parts[1] or '')
    local prev = redis.call('HGET', agg, seq)
    local states = redis.call('HVALS', agg)
    local complete = #states >= total
    if not complete and (prev or #states + 1 < total) then
      redis.call('HSET', agg, seq, state)
      redis.call('PEXPIRE', agg, ARGV[2])
      note()
      return 3
    end
    local old_worst = complete and worst_of(states)
    local replaced = false
    for k, v in ipairs(states) do
      if prev and not replaced and v == prev then
        states[k] = state
        replaced = true
      end
    end
    if not replaced then states[#states + 1] = state end
    local delivered
    job_state, delivered = worst_of(states)
    if complete and job_state == old_worst then
      redis.call('HSET', agg, seq, state)
      redis.call('PEXPIRE', agg, ARGV[2])
      note()
      return 3
    end
    agg_fields = {'parts', tostring(total), 'delivered_parts', tostring(delivered)}
  end
  -- One table constructor: the job's names from the correlation value, then the receipt's
  -- fields (carrier and message_id first, the state, the rest as the store sent them).
  local f0 = a + 4
  local fields = {'entry', parts[1] or '', 'job', parts[2] or '', 'ref', parts[3] or '', 'kid',
                  parts[4] or '', ARGV[f0], ARGV[f0 + 1], ARGV[f0 + 2], ARGV[f0 + 3], 'status',
                  job_state, unpack(ARGV, f0 + 4, f0 + nf - 1)}
  for _, v in ipairs(agg_fields) do fields[#fields + 1] = v end
  local r = xadd(KEYS[1], ARGV[1], fields)
  if failed(r) then return r end
  if string.sub(parts[2] or '', 1, 4) == 'api-' then
    local api = {'receipt_status', job_state}
    for k = 1, #fields - 1, 2 do
      if fields[k] == 'ts' or fields[k] == 'err' then
        api[#api + 1] = 'receipt_' .. fields[k]
        api[#api + 1] = fields[k + 1]
      end
    end
    api_status(ARGV[4], parts[2], api)
  end
  if agg then
    redis.call('HSET', agg, seq, state)
    redis.call('PEXPIRE', agg, ARGV[2])
  end
  note()
  return 1
end
local out = {}
local a = 5
for k = 3, #KEYS, 2 do
  local nf = tonumber(ARGV[a + 3])
  local r = one(KEYS[k], KEYS[k + 1], a, nf)
  if failed(r) then return r end
  out[#out + 1] = r
  a = a + 4 + nf
end
return out
)lua");

// Checks the pending list first, so a re-sent dead-letter (lost reply) does not copy the entry
// to the dead-letter stream twice: the XACK at the end is what marks it done.
const LuaScript kDeadLetterScript = Make("dead_letter", SD_LUA_XADD R"lua(
local p = redis.call('XPENDING', KEYS[1], ARGV[2], ARGV[1], ARGV[1], 1)
if #p == 0 then return 0 end
if redis.call('EXISTS', KEYS[4]) == 0 then
  local t = redis.call('TIME')
  local ts = tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
  local out = {'entry', ARGV[1], 'job', '', 'kid', ARGV[6], 'ref', '', 'status', 'rejected',
               'reason', 'dead_letter',
               'detail', 'delivered ' .. ARGV[5] .. ' times without an outcome',
               'carrier', '', 'message_id', '', 'segments', '0', 'ts', ts}
  local r = xadd(KEYS[3], ARGV[4], out)
  if failed(r) then return r end
  redis.call('SET', KEYS[4], '1', 'PX', ARGV[3])
end
local fields = {'entry', ARGV[1], 'reason', 'max_deliveries', 'deliveries', ARGV[5]}
for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
local r = xadd(KEYS[2], '0', fields)
if failed(r) then return r end
redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
return 1
)lua");

#undef SD_LUA_XADD

// XPENDING per id tells the current owner; only entries still ours are touched, so a consumer
// that was presumed dead never takes back what another one reclaimed meanwhile.
const LuaScript kTouchScript = Make("touch", R"lua(
local mine = {}
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if #p == 1 and p[1][2] == ARGV[2] then mine[#mine + 1] = ARGV[i] end
end
local chunk = 500
for s = 1, #mine, chunk do
  local args = {KEYS[1], ARGV[1], ARGV[2], '0'}
  for i = s, math.min(s + chunk - 1, #mine) do args[#args + 1] = mine[i] end
  args[#args + 1] = 'JUSTID'
  redis.call('XCLAIM', unpack(args))
end
return #mine
)lua");

// ---- Producers' HTTPS API (adapters/redis/api_store.cc) -----------------------------------

// Reads before it writes: a seen idempotency key or a used signature returns before anything
// is written, so the one step either writes every job and both records or nothing (an XADD to
// the jobs stream only fails when the key holds another type, a deployment error).
const LuaScript kApiSubmitScript = Make("api_submit", R"lua(
if ARGV[1] ~= '0' then
  local seen = redis.call('GET', KEYS[2])
  if seen then return {1, seen} end
end
if ARGV[2] == '1' then
  if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[6]) then return {2} end
end
local out = {0}
local j = 4
for i = 8, #ARGV, 5 do
  local id = redis.call('XADD', KEYS[1], '*', 'v', 'sd1', 'kid', ARGV[i], 'job', ARGV[i + 1],
                        'sig', ARGV[i + 2])
  out[#out + 1] = id
  if ARGV[i + 4] ~= '0' then
    redis.call('HSET', KEYS[j], 'fam', ARGV[7], 'kid', ARGV[i], 'entry', id, 'created',
               ARGV[i + 3], 'status', 'queued')
    redis.call('PEXPIRE', KEYS[j], ARGV[i + 4])
  end
  j = j + 1
end
if ARGV[1] == '1' then redis.call('SET', KEYS[2], ARGV[3] .. ARGV[4], 'PX', ARGV[5]) end
return out
)lua");

// ---- Audit and delay queue (adapters/redis/audit_log.cc, delay_queue.cc) --------------

// Status callbacks (status_queue.h): an event that could not be delivered in time is copied to
// the dead-letter stream and acknowledged in one step. XPENDING first, so a re-sent call (lost
// reply) finds the entry acknowledged and copies nothing twice.
// KEYS: the source stream (outcomes or receipts), the dead-letter stream.
// ARGV: group, entry id, dead-letter maxlen, field/value pairs. Returns 1 moved, 0 not pending.
const LuaScript kCallbackDeadScript = Make("callback_dead", R"lua(
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #p == 0 then return 0 end
local r = redis.pcall('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', unpack(ARGV, 4))
if type(r) == 'table' and r.err then return r end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1
)lua");

// Only one write: if the XADD fails, nothing happened and the retry redoes it.
const LuaScript kAuditScript = Make("audit", R"lua(
local fields = {}
for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
if tonumber(ARGV[1]) > 0 then
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(fields))
end
return redis.call('XADD', KEYS[1], '*', unpack(fields))
)lua");

// The pending check makes a re-sent deferral (lost reply) a no-op: the XACK at the end of the
// first run took the entry off the pending list, and the mover may since have put the job back
// as a new entry, which a second ZADD would duplicate. The ZADD goes first through pcall: a
// failure (wrong type, ACL) returns before anything was written. Killed anywhere (daemon or
// Redis), the script has run whole or not at all: the job is on the pending list or in the set.
const LuaScript kDeferScript = Make("defer", R"lua(
local p = redis.call('XPENDING', KEYS[1], ARGV[2], ARGV[1], ARGV[1], 1)
if #p == 0 then return 0 end
if p[1][2] ~= ARGV[3] then return 2 end
local r = redis.pcall('ZADD', KEYS[2], ARGV[4], ARGV[5])
if type(r) == 'table' and r.err ~= nil then return r end
if #KEYS >= 3 and redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
return 1
)lua");

// XADD and ZREM of each member in one atomic call: a member is on the stream or in the set,
// never both and never neither, and two daemons running this at once cannot both move it (the
// second finds it gone from the range). Redis replicates and persists a script's effects as
// one MULTI/EXEC, so a Redis crash also keeps them together. A member that does not decode
// (written by something else) goes back raw, so the dispatcher rejects it with an outcome
// instead of it blocking the head of the set for ever.
const LuaScript kMoveDueScript = Make("move_due", R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local moved, bad = 0, 0
for _, m in ipairs(due) do
  local parts = {}
  local i = 1
  while i <= #m and #parts < 5 do
    local colon = string.find(m, ':', i, true)
    if not colon then break end
    local n = tonumber(string.sub(m, i, colon - 1))
    if not n or colon + n > #m then break end
    parts[#parts + 1] = string.sub(m, colon + 1, colon + n)
    i = colon + n + 1
  end
  local r
  if #parts == 5 and i == #m + 1 then
    r = redis.pcall('XADD', KEYS[2], '*', 'v', parts[1], 'kid', parts[2], 'job', parts[3],
                    'sig', parts[4])
    moved = moved + 1
  else
    r = redis.pcall('XADD', KEYS[2], '*', 'delayed', m)
    bad = bad + 1
  end
  if type(r) == 'table' and r.err ~= nil then return r end
  redis.call('ZREM', KEYS[1], m)
end
return {moved, bad, redis.call('ZCOUNT', KEYS[1], '-inf', now)}
)lua");

// The daemon's counters as one hash, replaced whole (a counter that disappeared from the
// daemon disappears here too) and expiring, so a daemon that stopped leaves nothing stale.
// KEYS: the hash. ARGV: ttl ms, then field/value pairs.
const LuaScript kStatsScript = Make("stats", R"lua(
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
)lua");

const std::vector<const LuaScript*>& AllScripts() {
  static const std::vector<const LuaScript*> kAll{
      &kClaimScript, &kCommitManyScript, &kReceiptScript, &kDeadLetterScript, &kTouchScript,
      &kAuditScript, &kDeferScript,      &kMoveDueScript, &kStatsScript, &kCallbackDeadScript};
  return kAll;
}

std::string EncodeCorrelation(std::string_view entry_id, std::string_view job_id,
                              std::string_view client_ref, std::string_view key_id) {
  std::string out;
  for (std::string_view part : {entry_id, job_id, client_ref, key_id}) {
    out += std::to_string(part.size());
    out += ':';
    out += part;
  }
  return out;
}

}  // namespace sd::redis
