--! optout_helpers
-- Opt-out changes an operator makes (`smsdispatch optouts add|remove|import`). KEYS: opt-out
-- hash, version, log, audit stream. ARGV: the block optout_apply reads (optout_helpers.lua).
-- Returns the number of changes made.
local made = optout_apply(1, 1)
return made
