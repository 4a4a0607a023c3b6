--[[
  rw-extend: give a reader's or the writer's lease of one read-write lock a new time to live,
  and set it again where it is missing (a node restarted empty, flushed, or one that never got
  it), never over another owner. Command module: rw-extend.ts.

  Input:
    KEYS[1]  the writer key
    KEYS[2]  the readers (a sorted set: reader token -> expiry, server time in ms)
    ARGV[1]  the owner's token
    ARGV[2]  the new time to live, in milliseconds from now (a positive integer)
    ARGV[3]  "w" for the writer's lease, "r" for a reader's
    (+ marker-open's KEY and two ARGV, last)

  Output:
    1  ExtendExtended: the lease held the token and was extended
    2  ExtendHealed: it was missing and is set again with that ttl
    0  ExtendNotOwner: another owner is in the way (another writer; for a missing writer's
       lease, live readers), and nothing was changed
  or marker-open's table around it.

  Includes: marker-open/marker-close, rw-prune.
]]
--- @include marker-open
--- @include rw-prune
local token = ARGV[1]
local ttl = tonumber(ARGV[2])
local now = prune(KEYS[2])
local writer = redis.call('GET', KEYS[1])

if ARGV[3] == 'w' then
  if writer == token then
    redis.call('PEXPIRE', KEYS[1], ttl)
    return 1
  end
  if writer or redis.call('ZCARD', KEYS[2]) > 0 then
    return 0
  end
  redis.call('SET', KEYS[1], token, 'PX', ttl)
  return 2
end

local healed = not redis.call('ZSCORE', KEYS[2], token)
if healed and writer and writer ~= token then
  return 0
end
redis.call('ZADD', KEYS[2], now + ttl, token)
keepReaders(KEYS[2], now)
if healed then return 2 end
return 1
--- @include marker-close
