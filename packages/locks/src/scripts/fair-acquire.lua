--[[
  fair-acquire: take a lock in arrival order (FIFO). Waiters stand in a queue; the lock goes only
  to the head of the queue (or to anyone when the queue is empty). A waiter keeps its place for
  a lease, renewed at each attempt; a waiter that stops trying (it died) drops out when its
  lease runs out. Command module: fair-acquire.ts.

  Input:
    KEYS[1]  the lock's resource key
    KEYS[2]  the queue: a sorted set of waiting tokens, scored by arrival
    KEYS[3]  the leases: a sorted set of waiting tokens, scored by the server time (ms) at which
             their place lapses
    KEYS[4]  optional, for a fenced lock: the resource's fence counter (derivedKey(resource,
             "fence"), no expiry); a grant then hands back a fencing token drawn as in
             acquire-fenced (fence-draw), and the counter is set to it
    ARGV[1]  the owner's token
    ARGV[2]  time to live of the lock, in ms
    ARGV[3]  arrival score, chosen once per acquisition by the client and sent to every node, so
             that the queue has the same order on every node
    ARGV[4]  lease margin in ms: a place lasts until the lock's remaining ttl plus this margin
    (+ marker-open's KEY and two ARGV, last)

  Output, like acquire (or acquire-fenced with KEYS[4]):
     0    AcquireGranted: the lock is ours (set now, or already ours); with KEYS[4] instead
          this node's fencing token, a string in decimal
    n>0   not now: retry within n-1 ms (the holder's remaining ttl, or the head waiter's lease)
    -1    AcquireHeldForever: held by another token with no expiry
  or marker-open's table around it, when the node's marker is young.

  Includes: marker-open/marker-close (around the body), server-time, fence-draw.
]]
--- @include marker-open
--- @include server-time
--- @include fence-draw
local token = ARGV[1]
local now = redis.call('TIME')
local nowMs = serverMs(now)

local lapsed = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', nowMs)
for i = 1, #lapsed do
  redis.call('ZREM', KEYS[2], lapsed[i])
  redis.call('ZREM', KEYS[3], lapsed[i])
end

-- The reply to a grant, with a fencing token drawn as in acquire-fenced (see fence-draw). A
-- fenced grant always draws a new token, also when the lock was already ours (a retry after a
-- lost reply): a larger token is never wrong.
local function granted()
  if not KEYS[4] then return 0 end
  local text = decimal(drawFence(redis.call('GET', KEYS[4]), now))
  redis.call('SET', KEYS[4], text)
  return text
end

local holder = redis.call('GET', KEYS[1])
if holder == token then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return granted()
end
if not holder then
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)
  if #head == 0 or head[1] == token then
    redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
    redis.call('ZREM', KEYS[2], token)
    redis.call('ZREM', KEYS[3], token)
    return granted()
  end
end

local wait = tonumber(ARGV[4])
if holder then
  local pttl = redis.call('PTTL', KEYS[1])
  if pttl < 0 then wait = -1 else wait = pttl end
end
redis.call('ZADD', KEYS[2], 'NX', ARGV[3], token)
redis.call('ZADD', KEYS[3], nowMs + math.max(wait, 0) + tonumber(ARGV[4]), token)
redis.call('PEXPIRE', KEYS[2], math.max(wait, 0) + 2 * tonumber(ARGV[4]))
redis.call('PEXPIRE', KEYS[3], math.max(wait, 0) + 2 * tonumber(ARGV[4]))
if wait < 0 then return -1 end
if holder then return wait + 1 end
local headLease = redis.call('ZSCORE', KEYS[3], redis.call('ZRANGE', KEYS[2], 0, 0)[1])
if not headLease then return 1 end
return math.max(tonumber(headLease) - nowMs, 0) + 1
--- @include marker-close
