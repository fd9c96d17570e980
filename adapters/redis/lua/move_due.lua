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
