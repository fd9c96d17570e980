-- wrk script for the HTTPS API (scripts/bench_api.sh): each wrk thread sends the pre-signed
-- requests of its own file (api-load --presign PREFIX), each once. Signatures are single-use,
-- so a thread that ran out would send replays (401s, which wrk counts as non-2xx and the
-- bench script refuses): the files are made larger than any run sends.
--   wrk -t2 -c64 -d10s -s presigned.lua https://host:port -- PREFIX
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local requests = {}
local at = 0

function init(args)
  local path = args[1] .. "-" .. id .. ".bin"
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  local pos = 1
  while true do
    local nul = string.find(data, "\0", pos, true)
    if not nul then break end
    requests[#requests + 1] = string.sub(data, pos, nul - 1)
    pos = nul + 1
  end
  assert(#requests > 0, path .. " holds no requests")
end

function request()
  at = at + 1
  if at > #requests then at = 1 end
  return requests[at]
end
