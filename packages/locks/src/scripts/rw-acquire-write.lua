--[[
  rw-acquire-write: take the write lock of one read-write lock on this node, or, while readers
  or another writer hold it, record this writer's intent so that no new reader gets in.
  Command module: rw-acquire-write.ts.

  Input:
    KEYS[1]  the writer key (a string: the writer's token, with the write lease as its ttl)
    KEYS[2]  the readers (a sorted set: reader token -> expiry, server time in ms)
    KEYS[3]  the write intent (a string: a waiting writer's token, with a short ttl)
    KEYS[4]  (fenced writers only) the fence counter, never expiring
    ARGV[1]  the writer's token (random, 128+ bits)
    ARGV[2]  time to live, in milliseconds (a positive integer)
    ARGV[3]  the intent's ttl, in milliseconds: the waiting writer renews it with every attempt;
             one that gave up or crashed stops blocking readers when it runs out
    (+ marker-open's KEY and two ARGV, last)

  Output:
     0    AcquireGranted: the writer key holds the token with the given ttl (set now, or
          already ours: a retry after a lost reply), and our intent is gone
    a string  the same, for a fenced writer: this node's fencing token in decimal (fence-draw)
    n>0   refused: another writer holds the key, or readers do; the intent now holds our token
          unless another writer's was there first. Another writer: it expires in n-1 ms.
          Readers: n-1 is the time until their last lease ends, at most half the intent's ttl,
          so that the waiter comes back to renew its intent before it lapses
    -1    AcquireHeldForever: the writer key has no expiry
  or marker-open's table around it, when the node's marker is young.

  Includes: marker-open/marker-close (around the body), held-ttl, rw-prune, fence-draw.
]]
--- @include marker-open
--- @include held-ttl
--- @include rw-prune
--- @include fence-draw
local token = ARGV[1]
local ttl = ARGV[2]
local intentTtl = tonumber(ARGV[3])
local now = prune(KEYS[2])

local function intend()
  local intent = redis.call('GET', KEYS[3])
  if not intent or intent == token then
    redis.call('SET', KEYS[3], token, 'PX', intentTtl)
  end
end

local writer = redis.call('GET', KEYS[1])
if writer and writer ~= token then
  intend()
  return held(KEYS[1])
end
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if last[2] then
  intend()
  local wait = math.min(tonumber(last[2]) - now, math.floor(intentTtl / 2))
  return math.max(0, wait) + 1
end
redis.call('SET', KEYS[1], token, 'PX', ttl)
if redis.call('GET', KEYS[3]) == token then
  redis.call('DEL', KEYS[3])
end
if KEYS[4] then
  local text = decimal(drawFence(redis.call('GET', KEYS[4]), redis.call('TIME')))
  redis.call('SET', KEYS[4], text)
  return text
end
return 0
--- @include marker-close
