-- A fleet-wide rate limit's one bucket (docs/limits.md, "Fleet-wide limits"): a GCRA whose
-- whole state is its theoretical arrival time (TAT, microseconds on Redis' own clock, so every
-- daemon's lease is measured by one clock). KEYS[1]: the bucket.
-- ARGV: mode ("take" or "give"), emission interval us, then
--   take: tolerance us (burst x interval), units wanted. Grants as many of them as fit now
--         (at least 1, or none) and returns {granted, retry after ms}: when none fit, the
--         time until one would.
--   give: units. Takes them back off the TAT (tokens leased and not spent); returns {0, 0}.
-- The key expires once its TAT has passed: an idle bucket and a missing one are the same.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local function store(v)
  if v <= now then
    redis.call('DEL', KEYS[1])
  else
    redis.call('SET', KEYS[1], string.format('%.0f', v), 'PX',
               math.floor((v - now) / 1000) + 1000)
  end
end
if ARGV[1] == 'give' then
  if tat > now then store(tat - tonumber(ARGV[3]) * interval) end
  return {0, 0}
end
local tolerance = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
if tat < now then tat = now end
local room = math.floor((tolerance - (tat - now)) / interval)
if room < 1 then
  return {0, math.floor((tat + interval - tolerance - now + 999) / 1000)}
end
local granted = math.min(want, room)
store(tat + granted * interval)
return {granted, 0}
