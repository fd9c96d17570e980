-- Included by the scripts whose first line is "--! xadd_helpers" (adapters/redis/CMakeLists.txt).
-- xadd: an XADD through pcall, trimmed when maxlen > 0, so its error returns before anything
-- was written; failed: whether a pcall result is an error; api_status: the HTTPS API's status
-- record of an api- job, updated when it still exists.
local function xadd(key, maxlen, fields)
  if tonumber(maxlen) > 0 then
    return redis.pcall('XADD', key, 'MAXLEN', '~', maxlen, '*', unpack(fields))
  end
  return redis.pcall('XADD', key, '*', unpack(fields))
end
local function failed(r) return type(r) == 'table' and r.err ~= nil end
local function api_status(prefix, job, fields)
  if string.sub(job, 1, 4) ~= 'api-' then return end
  local key = prefix .. job
  if redis.call('EXISTS', key) == 1 then redis.call('HSET', key, unpack(fields)) end
end
