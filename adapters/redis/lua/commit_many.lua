--! api_status_helpers count_helpers
local out = {}
local acks = {KEYS[2], ARGV[1]}
local function ack()
  if #acks > 2 then redis.call('XACK', unpack(acks)) end
end
-- Passed to XADD as the string it came as: Redis formats a Lua number argument back into one
-- ("%.17g", glibc's printf_fp), 0.7 % of its instructions under API load.
local maxlen = ARGV[3]
local trim = count(maxlen) > 0
local a = 5
local k = 3
local i = 0
while k <= #KEYS do
  i = i + 1
  local guard, idem = KEYS[k], KEYS[k + 1]
  local entry = ARGV[a]
  local ncorr, nf, api = count(ARGV[a + 1]), count(ARGV[a + 2]), ARGV[a + 3] == '1'
  local f = a + 4
  local c = f + nf
  local p = c + ncorr
  out[i] = COMMIT_ALREADY_THERE
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
    if trim then
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
    -- Not for an entry whose job id another entry claimed (a replay): its record is that
    -- entry's job's.
    if api and (owned or not old) then
      api_append(KEYS[k + 2 + ncorr], KEYS[k + 3 + ncorr], ARGV[p])
    end
    if not owned then redis.call('SET', guard, '1', 'PX', ARGV[4]) end
    out[i] = COMMIT_WRITTEN
  end
  a = p + (api and 1 or 0)
  k = k + 2 + ncorr + (api and 2 or 0)
  acks[#acks + 1] = entry
end
ack()
return out
