--[[
  acquire-fenced: acquire, plus a fencing token. When this node sets every key of the lock, it
  also hands back a token larger than every fence counter of the lock, and raises every counter
  to it, so that successive holders of a resource draw ever larger tokens (see fence-draw for
  how a token grows, fence-raise for the quorum side). Command module: acquire-fenced.ts.

  Input:
    KEYS[1..n]     the lock's resource keys
    KEYS[n+1..2n]  their fence counters, in the same order (derivedKey(resource, "fence"): same
                   hash slot; no expiry, since a counter that vanished would leave only the
                   clock to keep tokens growing)
    ARGV[1]        the owner's token (random, 128+ bits)
    ARGV[2]        time to live, in milliseconds (a positive integer)
    (+ marker-open's KEY and two ARGV, last)

  Output:
    a string  every key now holds the token with the given ttl (set now, or already ours: a
              retry after a lost reply); the string is this node's fencing token in decimal:
              the largest token drawn over the lock's resources (fence-draw), and at least
              TIME's whole seconds in microseconds; every counter of the lock now holds it, so
              a multi-resource lock leaves all its counters at its token
    n>0       a key is held by another token and nothing was changed; it expires in n-1 ms
    -1        AcquireHeldForever: a key is held by another token that has no expiry
  or marker-open's table around it, when the node's marker is young.

  Includes: marker-open/marker-close (around the body), held-ttl, fence-draw.
]]
--- @include marker-open
--- @include held-ttl
--- @include fence-draw
local n = #KEYS / 2
local token = ARGV[1]
local ttl = ARGV[2]

for i = 1, n do
  local value = redis.call('GET', KEYS[i])
  if value and value ~= token then
    return held(KEYS[i])
  end
end

local now = redis.call('TIME')
local fence = secondMicros(now)
for i = 1, n do
  redis.call('SET', KEYS[i], token, 'PX', ttl)
  fence = math.max(fence, drawFence(redis.call('GET', KEYS[n + i]), now))
end
local text = decimal(fence)
for i = 1, n do
  redis.call('SET', KEYS[n + i], text)
end
return text
--- @include marker-close
