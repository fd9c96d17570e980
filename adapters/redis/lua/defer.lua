local p = redis.call('XPENDING', KEYS[1], ARGV[2], ARGV[1], ARGV[1], 1)
if #p == 0 then return DEFER_GONE end
if p[1][2] ~= ARGV[3] then return DEFER_OTHER_CONSUMER end
local r = redis.pcall('ZADD', KEYS[2], ARGV[4], ARGV[5])
if type(r) == 'table' and r.err ~= nil then return r end
if #KEYS >= 3 and redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
return DEFER_DONE
