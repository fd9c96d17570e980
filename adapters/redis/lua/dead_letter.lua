--! count_helpers xadd_helpers
local p = redis.call('XPENDING', KEYS[1], ARGV[2], ARGV[1], ARGV[1], 1)
if #p == 0 then return 0 end
if redis.call('EXISTS', KEYS[4]) == 0 then
  local t = redis.call('TIME')
  local ts = tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
  local out = {'entry', ARGV[1], 'job', '', 'kid', ARGV[6], 'ref', '', 'status', 'rejected',
               'reason', 'dead_letter',
               'detail', 'delivered ' .. ARGV[5] .. ' times without an outcome',
               'carrier', '', 'message_id', '', 'segments', '0', 'ts', ts}
  local r = xadd(KEYS[3], ARGV[4], out)
  if failed(r) then return r end
  redis.call('SET', KEYS[4], '1', 'PX', ARGV[3])
end
local fields = {'entry', ARGV[1], 'reason', 'max_deliveries', 'deliveries', ARGV[5]}
for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
local r = xadd(KEYS[2], '0', fields)
if failed(r) then return r end
redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
return 1
