local fields = {}
for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
if tonumber(ARGV[1]) > 0 then
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(fields))
end
return redis.call('XADD', KEYS[1], '*', unpack(fields))
