-- Included by the scripts whose first line is "--! xadd_helpers" (adapters/redis/CMakeLists.txt).
-- xadd: an XADD through pcall, trimmed when maxlen > 0, so its error returns before anything
-- was written; failed: whether a pcall result is an error.
-- (Whether a maxlen trims is decided once per call and value: tonumber is glibc's strtod.)
local trims = {}
local function xadd(key, maxlen, fields)
  local trim = trims[maxlen]
  if trim == nil then
    trim = tonumber(maxlen) > 0
    trims[maxlen] = trim
  end
  if trim then
    return redis.pcall('XADD', key, 'MAXLEN', '~', maxlen, '*', unpack(fields))
  end
  return redis.pcall('XADD', key, '*', unpack(fields))
end
local function failed(r) return type(r) == 'table' and r.err ~= nil end
