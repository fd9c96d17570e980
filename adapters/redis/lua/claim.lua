local out = {}
for i = 1, #KEYS / 2 do
  local idem, guard, entry, ttl = KEYS[2 * i - 1], KEYS[2 * i], ARGV[2 * i - 1], ARGV[2 * i]
  if redis.call('SET', idem, entry, 'NX', 'PX', ttl) then
    out[i] = CLAIM_NEW
  else
    local v = redis.call('GET', idem)
    if v == entry then
      if redis.call('EXISTS', guard) == 1 then out[i] = CLAIM_DONE else out[i] = CLAIM_RESUME end
    elseif v == entry .. '|done' then
      out[i] = CLAIM_DONE
    else
      out[i] = CLAIM_REPLAY
    end
  end
end
return out
