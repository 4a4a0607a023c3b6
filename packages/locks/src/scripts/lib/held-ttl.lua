--[[
  held-ttl: the reply of an acquire script when another token holds `key`: its remaining ttl
  plus one (so that 0 stays "granted"), or -1 when it has no expiry.
]]
local function held(key)
  local pttl = redis.call('PTTL', key)
  if pttl < 0 then return -1 end
  return pttl + 1
end
