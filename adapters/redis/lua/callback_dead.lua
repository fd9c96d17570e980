local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #p == 0 then return 0 end
local r = redis.pcall('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', unpack(ARGV, 4))
if type(r) == 'table' and r.err then return r end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1
