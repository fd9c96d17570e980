--! optout_helpers
-- Messages recipients send (adapters/redis/inbound_store.h, docs/redis.md). ARGV[1] is the mode.
-- A message that is a keyword reply (STOP, START) carries its opt-out changes: they are made in
-- the same step as the message is written, so a message is never kept without its opt-out or
-- the other way round, and a redelivery changes nothing twice.
--
-- one:    KEYS inbound stream, seen key, then (only with changes) the opt-out hash, version,
--         log and audit stream. ARGV 'one', seen ttl ms, maxlen (0: no trim), the opt-out block
--         (optout_helpers.lua; 0 changes for most messages), field/value pairs. A message in one
--         part, once: the seen key (SET NX PX) stops a redelivery within the window. Returns 1
--         written, 0 a duplicate.
-- part:   KEYS parts hash, done key, pending zset. ARGV 'part', seq, total, body, due ms,
--         keep ms, meta field/value pairs. Keeps one part for its siblings (a part seen before
--         is not stored twice; one of a message already written is a duplicate). Returns 0
--         duplicate, 1 stored, or {2, body 1, ..., body N} once every part is in: the store
--         decodes the joined bytes and commits.
-- commit: KEYS inbound stream, parts hash, done key, pending zset, then (only with changes) the
--         opt-out keys as for 'one'. ARGV 'commit', maxlen, done ttl ms, the opt-out block,
--         field/value pairs. The whole message, once (whoever commits first:
--         the daemon that stored the last part, or any daemon's sweep after the timeout).
--         Returns 1 written, 0 already written.

-- XADD to the stream KEYS[1], trimmed to about `maxlen` ('0': never), of ARGV[first..].
local function append(maxlen, first)
  local fields = {}
  for i = first, #ARGV do fields[#fields + 1] = ARGV[i] end
  if maxlen ~= '0' then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', unpack(fields))
  else
    redis.call('XADD', KEYS[1], '*', unpack(fields))
  end
end

local mode = ARGV[1]
if mode == 'one' then
  if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then return 0 end
  local _, first = optout_apply(3, 4)
  append(ARGV[3], first)
  return 1
elseif mode == 'part' then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
  redis.call('HSETNX', KEYS[1], 'p' .. ARGV[2], ARGV[4])
  for i = 7, #ARGV, 2 do redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) end
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  redis.call('ZADD', KEYS[3], 'NX', ARGV[5], KEYS[1])
  local out = {2}
  for s = 1, tonumber(ARGV[3]) do
    local b = redis.call('HGET', KEYS[1], 'p' .. s)
    if not b then return 1 end
    out[#out + 1] = b
  end
  return out
elseif mode == 'commit' then
  if redis.call('EXISTS', KEYS[3]) == 1 then
    redis.call('ZREM', KEYS[4], KEYS[2])
    return 0
  end
  local _, first = optout_apply(5, 4)
  append(ARGV[2], first)
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[4], KEYS[2])
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
  return 1
end
return redis.error_reply('inbound: unknown mode')
