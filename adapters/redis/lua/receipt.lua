--! count_helpers xadd_helpers api_status_helpers
local rank = {delivered = 0, accepted = 1, unknown = 2, deleted = 3, expired = 4,
              undelivered = 5, rejected = 6}
local function worst_of(states)
  local worst, delivered = 'delivered', 0
  for _, v in ipairs(states) do
    if v == 'delivered' then delivered = delivered + 1 end
    if (rank[v] or 2) > (rank[worst] or 2) then worst = v end
  end
  return worst, delivered
end
local function quarantine(guard, a, nf, state, reason)
  if guard and redis.call('EXISTS', guard) == 1 then return RECEIPT_DUPLICATE end
  local f0 = a + 4
  local fields = {ARGV[f0], ARGV[f0 + 1], ARGV[f0 + 2], ARGV[f0 + 3], 'status', state,
                  unpack(ARGV, f0 + 4, f0 + nf - 1)}
  fields[#fields + 1] = 'reason'
  fields[#fields + 1] = reason
  local r = xadd(KEYS[2], ARGV[1], fields)
  if failed(r) then return r end
  if guard then redis.call('SET', guard, '1', 'PX', ARGV[2]) end
  return RECEIPT_UNMATCHED
end
-- A correlation record's value (EncodeCorrelation): the names of the job (entry, job, ref,
-- key id, then part and parts of a multipart job) and the states noted after them
-- (";delivered;…"). Either "\30" and each name followed by "\31" (no name then holds a
-- control character), or, as daemons before wrote it and for names that do, each name as
-- "<decimal length>:<bytes>". Returns the names and the noted states. (The first is read with
-- plain finds, where the second took a number conversion per name: a fifth of the script.)
local function correlation(corr)
  local parts, i = {}, 1
  if string.byte(corr, 1) == 30 then
    i = 2
    for p = 1, 6 do
      local sep = string.find(corr, '\31', i, true)
      if not sep then break end
      parts[p] = string.sub(corr, i, sep - 1)
      i = sep + 1
    end
    return parts, string.sub(corr, i)
  end
  while i <= #corr and #parts < 6 and string.byte(corr, i) ~= 59 do  -- 59: ';'
    local colon = string.find(corr, ':', i, true)
    if not colon then break end
    local n = tonumber(string.sub(corr, i, colon - 1))
    if not n then break end
    parts[#parts + 1] = string.sub(corr, colon + 1, colon + n)
    i = colon + n + 1
  end
  return parts, string.sub(corr, i)
end
-- The decimal length of s, each distinct length formatted once per call: a number in a
-- concatenation is formatted by sprintf("%.14g"), which for three lengths per receipt was 2 % of
-- Redis's instructions under API load.
local decimal = {}
local function len_of(s)
  local n = #s
  local d = decimal[n]
  if not d then
    d = tostring(n)
    decimal[n] = d
  end
  return d
end
local function one(corr_key, guard, a, nf)
  local state = ARGV[a]
  -- A receipt the carrier could not read (no message id): nothing to match it by, and no
  -- reliable way to tell a redelivery from another unreadable receipt (its raw text is cut
  -- at 254 bytes, and may be empty): filed every time, never dropped.
  if ARGV[a + 2] == '2' then return quarantine(nil, a, nf, state, 'unparsable') end
  local corr = redis.call('GET', corr_key)
  if not corr then
    -- Not matched yet and not the last try: the submit_sm_resp naming this id may still be on
    -- its way on another bind. Nothing is written; the store asks again a little later.
    if ARGV[a + 2] ~= '1' then return RECEIPT_NOT_YET end
    return quarantine(guard, a, nf, state, 'unmatched')
  end
  local parts, seen = correlation(corr)
  if string.find(seen, ';' .. state .. ';', 1, true) then return RECEIPT_DUPLICATE end
  -- The record with this state noted: the names as they were, then ";state;…;state;".
  local noted = corr .. (seen == '' and ';' or '') .. state .. ';'
  local job_state = state
  local agg, seq
  local agg_fields = {}
  local total = parts[6] and count(parts[6]) or 1
  if total > 1 then
    seq = parts[5]
    if ARGV[a + 1] ~= '1' then
      redis.call('SET', corr_key, noted, 'XX', 'KEEPTTL')
      return RECEIPT_PART_NOTED
    end
    agg = ARGV[3] .. (parts[1] or '')
    local prev = redis.call('HGET', agg, seq)
    local states = redis.call('HVALS', agg)
    local complete = #states >= total
    if not complete and (prev or #states + 1 < total) then
      redis.call('HSET', agg, seq, state)
      redis.call('PEXPIRE', agg, ARGV[2])
      redis.call('SET', corr_key, noted, 'XX', 'KEEPTTL')
      return RECEIPT_PART_NOTED
    end
    local old_worst = complete and worst_of(states)
    local replaced = false
    for k, v in ipairs(states) do
      if prev and not replaced and v == prev then
        states[k] = state
        replaced = true
      end
    end
    if not replaced then states[#states + 1] = state end
    local delivered
    job_state, delivered = worst_of(states)
    if complete and job_state == old_worst then
      redis.call('HSET', agg, seq, state)
      redis.call('PEXPIRE', agg, ARGV[2])
      redis.call('SET', corr_key, noted, 'XX', 'KEEPTTL')
      return RECEIPT_PART_NOTED
    end
    agg_fields = {'parts', tostring(total), 'delivered_parts', tostring(delivered)}
  end
  -- One table constructor: the job's names from the correlation value, then the receipt's
  -- fields (carrier and message_id first, the state, the rest as the store sent them).
  local f0 = a + 4
  local fields = {'entry', parts[1] or '', 'job', parts[2] or '', 'ref', parts[3] or '', 'kid',
                  parts[4] or '', ARGV[f0], ARGV[f0 + 1], ARGV[f0 + 2], ARGV[f0 + 3], 'status',
                  job_state, unpack(ARGV, f0 + 4, f0 + nf - 1)}
  for _, v in ipairs(agg_fields) do fields[#fields + 1] = v end
  local r = xadd(KEYS[1], ARGV[1], fields)
  if failed(r) then return r end
  if string.sub(parts[2] or '', 1, 4) == 'api-' then
    local api = 'receipt_status:' .. len_of(job_state) .. ':' .. job_state
    -- err and ts are among the store's fields after carrier and message_id.
    for k = f0 + 4, f0 + nf - 2, 2 do
      local name = ARGV[k]
      if name == 'ts' or name == 'err' then
        api = api .. 'receipt_' .. name .. ':' .. len_of(ARGV[k + 1]) .. ':' .. ARGV[k + 1]
      end
    end
    api_extend(ARGV[4] .. parts[2], ARGV[5], parts[2], api)
  end
  if agg then
    redis.call('HSET', agg, seq, state)
    redis.call('PEXPIRE', agg, ARGV[2])
  end
  redis.call('SET', corr_key, noted, 'XX', 'KEEPTTL')
  return RECEIPT_WRITTEN
end
local out = {}
local a = 6
for k = 3, #KEYS, 2 do
  local nf = count(ARGV[a + 3])
  local r = one(KEYS[k], KEYS[k + 1], a, nf)
  if failed(r) then return r end
  out[#out + 1] = r
  a = a + 4 + nf
end
return out
