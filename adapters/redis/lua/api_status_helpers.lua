-- Included by the commit and receipt scripts ("--! api_status_helpers"): the HTTPS API's status
-- record of a job (api_status_record.h), a string of fields "<name>:<length>:<value>" in the
-- order written, a later value of a name replacing an earlier one. Updated only while it
-- exists, and kept until its own expiry:
--   api_append (the outcome): APPEND, one call; when APPEND made the key (the record had
--     expired, or there never was one) it goes again;
--   api_extend (a receipt): GET and SET … XX KEEPTTL, which stores the record at its exact
--     size again (APPEND leaves room for growth, up to twice the record).
-- A record kept as a hash under `legacy` (made by a daemon before this format) takes the same
-- fields by HSET while it exists.
local function api_decode(s)
  local out, i = {}, 1
  while i <= #s do
    local c1 = string.find(s, ':', i, true)
    local c2 = c1 and string.find(s, ':', c1 + 1, true)
    local n = c2 and tonumber(string.sub(s, c1 + 1, c2 - 1))
    if not n then break end
    out[#out + 1] = string.sub(s, i, c1 - 1)
    out[#out + 1] = string.sub(s, c2 + 1, c2 + n)
    i = c2 + n + 1
  end
  return out
end
local function api_legacy(legacy, encoded)
  if redis.call('EXISTS', legacy) == 1 then
    redis.call('HSET', legacy, unpack(api_decode(encoded)))
  end
end
local function api_append(key, legacy, encoded)
  if redis.call('APPEND', key, encoded) ~= #encoded then return end
  redis.call('DEL', key)
  api_legacy(legacy, encoded)
end
-- (legacy_prefix .. id: the legacy record's name, made only when it is needed.)
local function api_extend(key, legacy_prefix, id, encoded)
  local record = redis.call('GET', key)
  if record then
    redis.call('SET', key, record .. encoded, 'XX', 'KEEPTTL')
  else
    api_legacy(legacy_prefix .. id, encoded)
  end
end
