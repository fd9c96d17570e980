#include "adapters/redis/lua_scripts.h"

#include <openssl/sha.h>

namespace sd::redis {

LuaScript kClaimScript{"claim", R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
  return 1
end
return 3
)lua", {}};

LuaScript kCommitScript{"commit", R"lua(
local wrote = 0
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[3]) then
  local fields = {}
  for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
  if tonumber(ARGV[4]) > 0 then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', unpack(fields))
  else
    redis.call('XADD', KEYS[2], '*', unpack(fields))
  end
  if #KEYS >= 4 then redis.call('SET', KEYS[4], ARGV[6], 'PX', ARGV[5]) end
  wrote = 1
end
redis.call('XACK', KEYS[3], ARGV[2], ARGV[1])
return wrote
)lua", {}};

LuaScript kReceiptScript{"receipt", R"lua(
if not redis.call('SET', KEYS[4], '1', 'NX', 'PX', ARGV[2]) then return 2 end
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
local corr = redis.call('GET', KEYS[1])
local target = KEYS[3]
local result = 0
if corr then
  local parts = {}
  for p in string.gmatch(corr .. '\n', '([^\n]*)\n') do parts[#parts + 1] = p end
  local names = {'entry', 'job', 'ref', 'kid'}
  for i = 1, 4 do
    fields[#fields + 1] = names[i]
    fields[#fields + 1] = parts[i] or ''
  end
  target = KEYS[2]
  result = 1
else
  fields[#fields + 1] = 'reason'
  fields[#fields + 1] = 'unmatched'
end
if tonumber(ARGV[1]) > 0 then
  redis.call('XADD', target, 'MAXLEN', '~', ARGV[1], '*', unpack(fields))
else
  redis.call('XADD', target, '*', unpack(fields))
end
return result
)lua", {}};

LuaScript kDeadLetterScript{"dead_letter", R"lua(
local fields = {'entry', ARGV[1], 'reason', 'max_deliveries', 'deliveries', ARGV[5]}
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('XADD', KEYS[2], '*', unpack(fields))
if redis.call('SET', KEYS[4], '1', 'NX', 'PX', ARGV[3]) then
  local out = {'entry', ARGV[1], 'job', '', 'kid', '', 'ref', '', 'status', 'rejected',
               'reason', 'dead_letter', 'detail', 'delivered ' .. ARGV[5] .. ' times without an outcome',
               'carrier', '', 'message_id', '', 'segments', '0', 'ts', tostring(redis.call('TIME')[1] * 1000)}
  if tonumber(ARGV[4]) > 0 then
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', unpack(out))
  else
    redis.call('XADD', KEYS[3], '*', unpack(out))
  end
end
redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
return 1
)lua", {}};

void ComputeScriptHashes() {
  for (LuaScript* s : {&kClaimScript, &kCommitScript, &kReceiptScript, &kDeadLetterScript}) {
    unsigned char md[SHA_DIGEST_LENGTH];
    const std::string body = s->body;
    SHA1(reinterpret_cast<const unsigned char*>(body.data()), body.size(), md);
    static constexpr char kHex[] = "0123456789abcdef";
    s->sha1.clear();
    for (unsigned char b : md) {
      s->sha1.push_back(kHex[b >> 4]);
      s->sha1.push_back(kHex[b & 0xF]);
    }
  }
}

}  // namespace sd::redis
