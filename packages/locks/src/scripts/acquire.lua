--[[
  acquire: take every key of one lock on this node, all or none.

  KEYS[1..n]  the lock's resource keys
  ARGV[1]     the owner's token (random, 128+ bits)
  ARGV[2]     time to live, in milliseconds (a positive integer)

  Returns an integer (not a table: this runs on every acquisition, and a table costs the
  server an allocation and an array reply):
     0   every key now holds the token with the given ttl
         (set now, or already ours: a retry after a lost reply);
    n>0  a key is held by another token and nothing was changed; it expires in n-1 ms;
    -1   a key is held by another token that has no expiry.

  Wrapped in marker-open/marker-close (one more KEY and two more ARGV at the end, and a
  table reply when the node's marker is young: see marker-open.lua).
]]
--- @include marker-open
local token = ARGV[1]
local ttl = ARGV[2]

local function held(key)
  local pttl = redis.call('PTTL', key)
  if pttl < 0 then return -1 end
  return pttl + 1
end

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
