-- Segment quotas (docs/limits.md, "Quotas"): one counter per subject and UTC period, the day's
-- and the month's, under one hash tag so the call stays in one slot of a Redis Cluster.
-- KEYS: the day counter, the month counter.
-- ARGV: mode ("take" or "give"), daily quota, monthly quota (0: none), units, day TTL ms,
--       month TTL ms.
--   take: grants as many of the units as both quotas have left (none when either is used up)
--         and adds them to both counters at once: leased segments count as used until they
--         come back. Returns {granted, day used after, month used after}.
--   give: takes units back off both counters (never below 0). Returns {0, day used, month used}.
local daily = tonumber(ARGV[2])
local monthly = tonumber(ARGV[3])
local units = tonumber(ARGV[4])
local day = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local month = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
if ARGV[1] == 'give' then
  local d = math.min(units, day)
  local m = math.min(units, month)
  if d > 0 then day = redis.call('DECRBY', KEYS[1], d) end
  if m > 0 then month = redis.call('DECRBY', KEYS[2], m) end
  return {0, day, month}
end
local left = units
if daily > 0 then left = math.min(left, daily - day) end
if monthly > 0 then left = math.min(left, monthly - month) end
if left < 1 then return {0, day, month} end
day = redis.call('INCRBY', KEYS[1], left)
month = redis.call('INCRBY', KEYS[2], left)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return {left, day, month}
