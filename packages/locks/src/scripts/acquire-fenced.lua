--[[
  acquire-fenced: acquire, plus a fencing token. When this node sets every key of the lock, it
  also increments each resource's fence counter and hands back the largest, so that successive
  holders of a resource draw ever larger tokens (see fence-raise for the quorum side).

  KEYS[1..n]     the lock's resource keys
  KEYS[n+1..2n]  their fence counters, in the same order (derivedKey(resource, "fence"): same
                 hash slot; no expiry, since a counter that vanished would restart from 1)
  ARGV[1]        the owner's token (random, 128+ bits)
  ARGV[2]        time to live, in milliseconds (a positive integer)

  Returns:
    a string   every key now holds the token with the given ttl (set now, or already ours: a
               retry after a lost reply); the string is this node's fencing token in decimal:
               the largest counter after the increments, and every counter of the lock is
               raised to it, so a multi-resource lock leaves all its counters at its token;
    n>0        a key is held by another token and nothing was changed; it expires in n-1 ms;
    -1         a key is held by another token that has no expiry.

  Wrapped in marker-open/marker-close (one more KEY and two more ARGV at the end, and a
  table reply when the node's marker is young: see marker-open.lua).
]]
--- @include marker-open
local n = #KEYS / 2
local token = ARGV[1]
local ttl = ARGV[2]

for i = 1, n do
  local value = redis.call('GET', KEYS[i])
  if value and value ~= token then
    local pttl = redis.call('PTTL', KEYS[i])
    if pttl < 0 then return -1 end
    return pttl + 1
  end
end

-- Counters stay far below 2^53, where Lua's numbers are exact; '%d' keeps them out of
-- exponent notation, which INCR could not read back.
local fence = 0
for i = 1, n do
  redis.call('SET', KEYS[i], token, 'PX', ttl)
  local count = redis.call('INCR', KEYS[n + i])
  if count > fence then fence = count end
end
local text = string.format('%d', fence)
if n > 1 then
  for i = 1, n do
    redis.call('SET', KEYS[n + i], text)
  end
end
return text
--- @include marker-close
