-- Every API request that completed in one loop turn, in one call (api_store.h): each write is
-- looked up and written exactly as if it had a call of its own, in the order given, so two
-- writes of one batch with the same Idempotency-Key or signature see each other.
local out = {}
local k = 2  -- KEYS[1] is the jobs stream
local a = 2  -- ARGV[1] is the idempotency TTL
while a <= #ARGV do
  local idem, replay, hash, response, replay_ttl, family, n =
    ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5], tonumber(ARGV[a + 6])
  local idem_key, sig_key = KEYS[k], KEYS[k + 1]
  k = k + 2
  a = a + 7
  local r = nil
  if idem ~= '0' then
    local seen = redis.call('GET', idem_key)
    if seen then r = {1, seen} end
  end
  if not r and replay == '1' then
    if not redis.call('SET', sig_key, '1', 'NX', 'PX', replay_ttl) then r = {2} end
  end
  if not r then
    r = {0}
    for i = 0, n - 1 do
      local j = a + 5 * i
      local id = redis.call('XADD', KEYS[1], '*', 'v', 'sd1', 'kid', ARGV[j], 'job', ARGV[j + 1],
                            'sig', ARGV[j + 2])
      r[#r + 1] = id
      if ARGV[j + 4] ~= '0' then
        redis.call('HSET', KEYS[k + i], 'fam', family, 'kid', ARGV[j], 'entry', id, 'created',
                   ARGV[j + 3], 'status', 'queued')
        redis.call('PEXPIRE', KEYS[k + i], ARGV[j + 4])
      end
    end
    if idem == '1' then redis.call('SET', idem_key, hash .. response, 'PX', ARGV[1]) end
  end
  out[#out + 1] = r
  k = k + n
  a = a + 5 * n
end
return out
