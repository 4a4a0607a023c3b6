--[[
  cache-write: store a value with its fresh and stale windows, only if the entry is still the
  one the writer read (compare-and-set on the generation), and tell waiters on the channel.
  Command module: cache-write.ts.

  Input:
    KEYS[1]  the cache key (a hash: v payload, g generation, t written at, f fresh until,
             s stale until, e error back-off until, d fetch duration; times in server ms)
    ARGV[1]  the serialized value
    ARGV[2]  the generation the writer read: 0 for "no entry"; -1 writes unconditionally
    ARGV[3]  fresh for, in ms (a positive integer)
    ARGV[4]  servable stale for, in ms from now (at least ARGV[3]); the key expires then
    ARGV[5]  how long the fetch took, in ms (for probabilistic early refresh)
    ARGV[6]  the channel to publish the notice on; empty for none
    ARGV[7]  "1" to publish the value with the notice:
             "v:<generation>:<ARGV[3]>:<ARGV[4]>:<ARGV[5]>:<ARGV[1]>"; else "w:<generation>"

  Output:
    {1, generation}          CacheWriteWritten
    {0, current generation}  CacheWriteChanged: the entry changed since the writer read it (a
                             newer value is there), and then nothing was changed
  Generations only grow, even across expiry: max(previous + 1, server time in ms).

  Includes: server-time.
]]
--- @include server-time
local current = tonumber(redis.call('HGET', KEYS[1], 'g') or '0')
if ARGV[2] ~= '-1' and tonumber(ARGV[2]) ~= current then
  return {0, current}
end
local time = redis.call('TIME')
local now = serverMs(time)
local generation = math.max(current + 1, now)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'g', generation, 't', now,
  'f', now + tonumber(ARGV[3]), 's', now + tonumber(ARGV[4]), 'd', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if ARGV[6] ~= '' then
  if ARGV[7] == '1' then
    redis.call('PUBLISH', ARGV[6], table.concat(
      {'v', generation, ARGV[3], ARGV[4], ARGV[5], ARGV[1]}, ':'))
  else
    redis.call('PUBLISH', ARGV[6], 'w:' .. generation)
  end
end
return {1, generation}
