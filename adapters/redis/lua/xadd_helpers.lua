-- Included by the scripts whose first line is "--! count_helpers xadd_helpers" (after
-- count_helpers, whose count() it uses; adapters/redis/CMakeLists.txt).
-- xadd: an XADD through pcall, trimmed when maxlen > 0, so its error returns before anything
-- was written; failed: whether a pcall result is an error.
local function xadd(key, maxlen, fields)
  if count(maxlen) > 0 then
    return redis.pcall('XADD', key, 'MAXLEN', '~', maxlen, '*', unpack(fields))
  end
  return redis.pcall('XADD', key, '*', unpack(fields))
end
local function failed(r) return type(r) == 'table' and r.err ~= nil end
