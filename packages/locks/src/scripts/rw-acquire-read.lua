--[[
  rw-acquire-read: add a reader to one read-write lock on this node. Command module:
  rw-acquire-read.ts.

  Input:
    KEYS[1]  the writer key (a string: the writer's token, with the write lease as its ttl)
    KEYS[2]  the readers (a sorted set: reader token -> expiry, server time in ms)
    KEYS[3]  the write intent (a string: a waiting writer's token, with a short ttl)
    ARGV[1]  the reader's token (random, 128+ bits)
    ARGV[2]  time to live, in milliseconds (a positive integer)
    (+ marker-open's KEY and two ARGV, last)

  Each reader has its own expiry in the set, on this server's clock; expired readers are pruned
  by every rw script, so that a new reader never prolongs the others' leases.

  Output: an integer:
     0    AcquireGranted: the token is a reader now, until now + ttl (set now, or already
          one: a retry after a lost reply)
    n>0   refused, nothing changed: another token holds the write lock, or another token's
          write intent is here (a writer is waiting: no new readers, so that it is not
          starved); a retry may succeed in n-1 ms (the writer's ttl; for an intent, the
          longer of the intent's ttl and the readers' leases the writer waits for)
    -1    AcquireHeldForever: the writer key has no expiry
  or marker-open's table around it, when the node's marker is young.

  Includes: marker-open/marker-close (around the body), held-ttl, rw-prune.
]]
--- @include marker-open
--- @include held-ttl
--- @include rw-prune
local token = ARGV[1]
local ttl = tonumber(ARGV[2])
local now = prune(KEYS[2])

local writer = redis.call('GET', KEYS[1])
if writer and writer ~= token then
  return held(KEYS[1])
end
local intent = redis.call('GET', KEYS[3])
if intent and intent ~= token then
  local wait = redis.call('PTTL', KEYS[3])
  local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  if last[2] and tonumber(last[2]) - now > wait then wait = tonumber(last[2]) - now end
  if wait < 0 then wait = 0 end
  return wait + 1
end
redis.call('ZADD', KEYS[2], now + ttl, token)
keepReaders(KEYS[2], now)
return 0
--- @include marker-close
