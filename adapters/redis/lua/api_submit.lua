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
