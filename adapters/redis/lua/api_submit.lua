--! count_helpers
-- Every API request that completed in one loop turn, in one call (api_store.h): each write is
-- looked up and written exactly as if it had a call of its own, in the order given, so two
-- writes of one batch with the same Idempotency-Key or signature see each other.
-- A signed request's first job has an id derived from the signature (api.md), so its status
-- record, made first and only if absent, is the request's replay record too: one key and one
-- call fewer per request. A request without status records (or unsigned) keeps a replay
-- record of its own.
local out = {}
local k = 2  -- KEYS[1] is the jobs stream
local a = 2  -- ARGV[1] is the idempotency TTL
while a <= #ARGV do
  local idem, replay, hash, response, replay_ttl, n =
    ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], count(ARGV[a + 5])
  local idem_key, sig_key = KEYS[k], KEYS[k + 1]
  k = k + 2
  a = a + 6
  local r = nil
  if idem ~= '0' then
    local seen = redis.call('GET', idem_key)
    if seen then r = {1, seen} end
  end
  local first = 0  -- jobs whose status record is written already
  if not r and replay == '1' then
    if n > 0 and ARGV[a + 3] ~= '' then
      if redis.call('SET', KEYS[k], ARGV[a + 3], 'NX', 'PX', ARGV[a + 4]) then
        first = 1
      else
        r = {2}
      end
    elseif not redis.call('SET', sig_key, '1', 'NX', 'PX', replay_ttl) then
      r = {2}
    end
  end
  if not r then
    r = {0}
    for i = 0, n - 1 do
      local j = a + 5 * i
      r[#r + 1] = redis.call('XADD', KEYS[1], '*', 'v', 'sd1', 'kid', ARGV[j], 'job', ARGV[j + 1],
                             'sig', ARGV[j + 2])
      if i >= first and ARGV[j + 3] ~= '' then
        redis.call('SET', KEYS[k + i], ARGV[j + 3], 'PX', ARGV[j + 4])
      end
    end
    if idem == '1' then redis.call('SET', idem_key, hash .. response, 'PX', ARGV[1]) end
  end
  out[#out + 1] = r
  k = k + n
  a = a + 5 * n
end
return out
