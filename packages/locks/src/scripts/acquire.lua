--[[
  acquire: take every key of one lock on this node, all or none. Command module: acquire.ts.

  Input:
    KEYS[1..n]  the lock's resource keys
    ARGV[1]     the owner's token (random, 128+ bits)
    ARGV[2]     time to live, in milliseconds (a positive integer)
    (+ marker-open's KEY and two ARGV, last)

  Output: an integer (not a table: this runs on every acquisition, and a table costs the
  server an allocation and an array reply):
     0    AcquireGranted: every key now holds the token with the given ttl (set now, or
          already ours: a retry after a lost reply)
    n>0   a key is held by another token and nothing was changed; it expires in n-1 ms
    -1    AcquireHeldForever: a key is held by another token that has no expiry
  or marker-open's table around it, when the node's marker is young.

  Includes: marker-open/marker-close (around the body), held-ttl.
]]
--- @include marker-open
--- @include held-ttl
local token = ARGV[1]
local ttl = ARGV[2]

if #KEYS == 1 then
  if redis.call('SET', KEYS[1], token, 'NX', 'PX', ttl) then
    return 0
  end
  if redis.call('GET', KEYS[1]) == token then
    redis.call('PEXPIRE', KEYS[1], ttl)
    return 0
  end
  return held(KEYS[1])
end

for i = 1, #KEYS do
  local value = redis.call('GET', KEYS[i])
  if value and value ~= token then
    return held(KEYS[i])
  end
end
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], token, 'PX', ttl)
end
return 0
--- @include marker-close
