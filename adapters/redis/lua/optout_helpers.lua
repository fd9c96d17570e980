-- Included by the scripts that change opt-outs (optouts.lua, inbound.lua; see
-- adapters/redis/optout_writes.h). optout_apply(k, a) makes the changes ARGV[a..] describes:
-- KEYS[k..k+3] are the opt-out hash, its version counter, its change log and the audit stream;
-- ARGV[a] is the log's maxlen, ARGV[a+1] the audit stream's (0: no trim), ARGV[a+2] the number
-- of changes, then per change: 'add' or 'del', the field, the value ('' for del), the number n
-- of the audit event's field/value strings and those n strings. A change that changes nothing
-- (an add of a number already opted out keeps the first time; a del of one not there) is
-- neither logged nor audited. Every change made bumps the version and is logged with it, so a
-- daemon that reads the log in order can tell when it missed one (then reads the hash whole).
-- Returns the number of changes made and the index of the first ARGV after the block.
local function optout_xadd(key, maxlen, fields)
  if tonumber(maxlen) > 0 then
    return redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', unpack(fields))
  end
  return redis.call('XADD', key, '*', unpack(fields))
end
local function optout_apply(k, a)
  local made, i = 0, a + 3
  for _ = 1, tonumber(ARGV[a + 2]) do
    local op, field, value, n = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
    local changed
    if op == 'add' then
      changed = redis.call('HSETNX', KEYS[k], field, value) == 1
    else
      changed = redis.call('HDEL', KEYS[k], field) == 1
    end
    if changed then
      local v = redis.call('INCR', KEYS[k + 1])
      optout_xadd(KEYS[k + 2], ARGV[a], {'v', tostring(v), 'op', op, 'field', field})
      if n > 0 then
        local ev = {}
        for j = i + 4, i + 3 + n do ev[#ev + 1] = ARGV[j] end
        optout_xadd(KEYS[k + 3], ARGV[a + 1], ev)
      end
      made = made + 1
    end
    i = i + 4 + n
  end
  return made, i
end
