--[[
  acquire-fenced: acquire, plus a fencing token. When this node sets every key of the lock, it
  also hands back a token larger than every fence counter of the lock, and raises every counter
  to it, so that successive holders of a resource draw ever larger tokens (see fence-raise for
  the quorum side).

  A counter that exists counts up by one, and is lifted to the start of the current second on
  this server's clock (TIME, in microseconds since the epoch) when it is behind that. A missing
  counter (the resource was never fenced on this node, or the node lost its data: a restart
  without persistence, FLUSHALL) starts from the clock itself. Every token handed out before was
  a clock reading plus one per holder since, and holders come far slower than one per
  microsecond, so the clock has moved past it unless it was set back since: tokens keep
  growing when every node lost its counters (from the clock, at once), or came back with older
  ones (from a snapshot: once a second has passed).

  KEYS[1..n]     the lock's resource keys
  KEYS[n+1..2n]  their fence counters, in the same order (derivedKey(resource, "fence"): same
                 hash slot; no expiry, since a counter that vanished would leave only the
                 clock to keep tokens growing)
  ARGV[1]        the owner's token (random, 128+ bits)
  ARGV[2]        time to live, in milliseconds (a positive integer)

  Returns:
    a string   every key now holds the token with the given ttl (set now, or already ours: a
               retry after a lost reply); the string is this node's fencing token in decimal:
               the largest of (counter + 1, or TIME in microseconds where a counter is
               missing) over the lock's resources, and at least TIME's whole seconds in
               microseconds; every counter of the lock now holds it, so a multi-resource lock
               leaves all its counters at its token;
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

-- An existing counter is lifted to the second, not to the microsecond: nodes whose counters
-- agree then hand out one token (no raise round) unless they straddle a second. Microseconds
-- since the epoch stay below 2^53, where Lua's numbers (and JS's) are exact, until the year
-- 2255; '%.0f' keeps them out of exponent notation, which tonumber and BigInt could not read
-- (and, unlike '%d', stays exact where a Lua emulation formats '%d' in 32 bits).
local now = redis.call('TIME')
local second = tonumber(now[1]) * 1e6
local fence = second
for i = 1, n do
  redis.call('SET', KEYS[i], token, 'PX', ttl)
  local count = redis.call('GET', KEYS[n + i])
  local drawn = second + tonumber(now[2])
  if count then drawn = tonumber(count) + 1 end
  if drawn > fence then fence = drawn end
end
local text = string.format('%.0f', fence)
for i = 1, n do
  redis.call('SET', KEYS[n + i], text)
end
return text
--- @include marker-close
