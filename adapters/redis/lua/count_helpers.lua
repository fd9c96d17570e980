-- Included by the scripts whose first line names "count_helpers" (first: xadd_helpers uses it).
-- count(s): the number a count argument (a decimal string the daemon sent) holds. Lua's
-- tonumber runs glibc's strtod twice per call (lua_isnumber, then lua_tonumber), 1 % of Redis's
-- instructions for four counts per API job; the few distinct counts of a call are converted
-- once each.
local counts = {}
local function count(s)
  local n = counts[s]
  if n == nil then
    n = tonumber(s)
    counts[s] = n
  end
  return n
end
