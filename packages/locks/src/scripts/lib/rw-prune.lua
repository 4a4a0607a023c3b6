--[[
  rw-prune: the readers of a read-write lock (a sorted set of reader token -> expiry in server
  ms) lose their expired entries, and the set's own ttl follows its longest lease, so that it
  never outlives its readers.

  Includes: server-time (its serverMs).
]]
--- @include server-time
local function prune(readers)
  local now = serverMs(redis.call('TIME'))
  redis.call('ZREMRANGEBYSCORE', readers, '-inf', now)
  return now
end
local function keepReaders(readers, now)
  local last = redis.call('ZRANGE', readers, -1, -1, 'WITHSCORES')
  if last[2] then
    redis.call('PEXPIRE', readers, math.max(1, tonumber(last[2]) - now))
  end
end
