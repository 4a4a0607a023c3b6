--[[
  semaphore-acquire: take `n` free slots of one semaphore on this node, all or none. Each slot
  is a mutex key; a permit holds the same slot indices on a quorum of nodes, so that each slot
  is a quorum mutex and never more than `limit` permits are valid at once (a per-node count
  would let floor(N*limit/quorum) be valid together). Slots are taken in the client's order,
  the same on every node, so that nodes that agree hand out the same slots. Command module:
  semaphore-acquire.ts.

  Input:
    KEYS[1..L]  the slot keys (L = limit; derivedKey(name, "slot:<i>"), one hash slot)
    KEYS[L+1]   the limit record: the limit of the permits held here, expiring with them
    KEYS[L+2]   the semaphore's fence counter (derivedKey(name, "fence"); read only when
                ARGV[6] is "1")
    ARGV[1]     the owner's token (random, 128+ bits)
    ARGV[2]     time to live, in milliseconds (a positive integer)
    ARGV[3]     n: the slots to take (1 <= n <= L)
    ARGV[4]     L, the limit, in decimal
    ARGV[5]     unused ("": the candidate order follows at ARGV[10..])
    ARGV[6]     "1": draw a fencing token; "0": none
    ARGV[7]     "" for a plain semaphore; for a fair one, the request's arrival score, chosen
                once per acquisition by the client and sent to every node (so that the queue
                has one order on every node)
    ARGV[8]     fair: lease margin in ms: a waiter's place lasts until what it waits for (the
                head's lease, or the earliest slot's ttl) plus this margin, renewed at each
                attempt, so that a waiter that died drops out
    ARGV[9]     fair: the semaphore's release channel: a grant that leaves others waiting
                announces itself there, since the next waiter is now the head and free slots
                may be left for it
    ARGV[10..9+L]  the candidate order: every slot index (1-based) once, one per entry
    KEYS[L+3]   fair: the queue, a sorted set of waiting tokens scored by arrival
    KEYS[L+4]   fair: the leases, a sorted set of waiting tokens scored by the server time (ms)
                at which their place lapses
    (+ marker-open's KEY and two ARGV, last)

  A fair semaphore serves its queue in order: only its head (or anyone when it is empty) may
  take slots, so a request for many permits is not overtaken by a stream of small ones.

  Output:
    a string "i,j,...": the slots (1-based) that now hold the token with the ttl (taken now, or
              already ours: a retry after a lost reply); "i,j|f" with the fencing token f
              (decimal, fence-draw) when ARGV[6] is "1"
    "limit:m" the record says permits of limit m are held here: nothing was changed
    n>0       fewer than n slots are free (or ours), or (fair) another waiter is ahead: no slot
              was changed (a fair waiter now has its place in the queue); retry within n-1 ms
              (the earliest other owner's slot expiry, or the head's lease)
    -1        AcquireHeldForever: as n>0, but no held slot has an expiry
  or marker-open's table around it, when the node's marker is young.

  Includes: marker-open/marker-close (around the body), server-time, fence-draw.
]]
--- @include marker-open
--- @include server-time
--- @include fence-draw
local token = ARGV[1]
local ttl = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local limit = ARGV[4]
local slots = tonumber(limit)
local record = KEYS[slots + 1]

local recorded = redis.call('GET', record)
if recorded and recorded ~= limit then
  return 'limit:' .. recorded
end

local fair = ARGV[7] ~= ''
local queue = KEYS[slots + 3]
local leases = KEYS[slots + 4]
local margin = tonumber(ARGV[8])
local nowMs = 0
-- A fair waiter that may not take slots now keeps (or takes) its place until `wait` ms plus the
-- margin from now.
local function enqueue(wait)
  redis.call('ZADD', queue, 'NX', ARGV[7], token)
  redis.call('ZADD', leases, nowMs + math.max(wait, 0) + margin, token)
  redis.call('PEXPIRE', queue, math.max(wait, 0) + 2 * margin)
  redis.call('PEXPIRE', leases, math.max(wait, 0) + 2 * margin)
end
if fair then
  nowMs = serverMs(redis.call('TIME'))
  local lapsed = redis.call('ZRANGEBYSCORE', leases, '-inf', nowMs)
  for i = 1, #lapsed do
    redis.call('ZREM', queue, lapsed[i])
    redis.call('ZREM', leases, lapsed[i])
  end
  local head = redis.call('ZRANGE', queue, 0, 0)
  if #head > 0 and head[1] ~= token then
    local lease = tonumber(redis.call('ZSCORE', leases, head[1]) or nowMs)
    local wait = math.max(lease - nowMs, 0)
    enqueue(wait)
    return wait + 1
  end
end

local taken = {}
local earliest = -1
for k = 10, 9 + slots do
  local i = tonumber(ARGV[k])
  local value = redis.call('GET', KEYS[i])
  if not value or value == token then
    if #taken < want then taken[#taken + 1] = i end
  else
    local pttl = redis.call('PTTL', KEYS[i])
    if pttl >= 0 and (earliest < 0 or pttl < earliest) then earliest = pttl end
  end
end
if #taken < want then
  if fair then enqueue(earliest < 0 and margin or earliest) end
  if earliest < 0 then return -1 end
  return earliest + 1
end
if fair then
  redis.call('ZREM', queue, token)
  redis.call('ZREM', leases, token)
  if redis.call('ZCARD', queue) > 0 then redis.call('PUBLISH', ARGV[9], '') end
end

for _, i in ipairs(taken) do
  redis.call('SET', KEYS[i], token, 'PX', ttl)
end
-- The record lives as long as the longest permit here: once every permit has expired, the
-- semaphore may come back with another limit.
if redis.call('PTTL', record) < ttl then
  redis.call('SET', record, limit, 'PX', ttl)
end
local reply = table.concat(taken, ',')
if ARGV[6] == '1' then
  local now = redis.call('TIME')
  local fence = drawFence(redis.call('GET', KEYS[slots + 2]), now)
  local text = decimal(fence)
  redis.call('SET', KEYS[slots + 2], text)
  reply = reply .. '|' .. text
end
return reply
--- @include marker-close
