--[[
  acquire: take every key of one lock on this node, all or none.

  KEYS[1..n]  the lock's resource keys
  ARGV[1]     the owner's token (random, 128+ bits)
  ARGV[2]     time to live, in milliseconds (a positive integer)

  Returns {1, 0}     when every key now holds the token with the given ttl
                     (set now, or already ours: a retry after a lost reply);
          {0, pttl}  when a key is held by another token and nothing was changed;
                     pttl is that key's remaining life in ms (-1: it has no expiry).
]]
local token = ARGV[1]
local ttl = ARGV[2]

if #KEYS == 1 then
  if redis.call('SET', KEYS[1], token, 'NX', 'PX', ttl) then
    return {1, 0}
  end
  if redis.call('GET', KEYS[1]) == token then
    redis.call('PEXPIRE', KEYS[1], ttl)
    return {1, 0}
  end
  return {0, redis.call('PTTL', KEYS[1])}
end

for i = 1, #KEYS do
  local held = redis.call('GET', KEYS[i])
  if held and held ~= token then
    return {0, redis.call('PTTL', KEYS[i])}
  end
end
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], token, 'PX', ttl)
end
return {1, 0}
