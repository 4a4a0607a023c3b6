--[[
  cache-fail: record that refreshing an entry failed, so that every process serves the stale
  value for a back-off window instead of calling the source again, and tell waiters. Command
  module: cache-fail.ts.

  Input:
    KEYS[1]  the cache key (see cache-write)
    ARGV[1]  the generation the failed refresh read (0: there was no entry)
    ARGV[2]  back-off, in ms (a positive integer); the entry is kept at least this long
    ARGV[3]  the channel to publish "e:<message>" on; empty for none
    ARGV[4]  a short description of the failure, for waiters in other processes

  Output (the message is published either way):
    1  CacheFailMarked: the back-off was recorded on the entry
    0  CacheFailGone: the entry is gone or changed

  Includes: server-time.
]]
--- @include server-time
local marked = 0
if redis.call('HGET', KEYS[1], 'g') == ARGV[1] then
  local time = redis.call('TIME')
  local now = serverMs(time)
  redis.call('HSET', KEYS[1], 'e', now + tonumber(ARGV[2]))
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
  end
  marked = 1
end
if ARGV[3] ~= '' then
  redis.call('PUBLISH', ARGV[3], 'e:' .. ARGV[4])
end
return marked
