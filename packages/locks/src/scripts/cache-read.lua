--[[
  cache-read: read one cache entry, with its times relative to the server's clock, so that
  processes whose clocks differ agree on what is fresh. Command module: cache-read.ts.

  Input:
    KEYS[1]  the cache key (a hash written by cache-write)

  Output: nil when the key does not exist, else
          {payload, generation, age, freshLeft, staleLeft, errorLeft, fetchDuration}:
          age is ms since the write; freshLeft, staleLeft and errorLeft are ms until the entry
          stops being fresh, stops being servable stale, and until the error back-off ends
          (each may be negative; errorLeft is -1 when no fetch failed since the write);
          fetchDuration is how long the fetch that produced the value took, in ms.

  Includes: server-time.
]]
--- @include server-time
local fields = redis.call('HMGET', KEYS[1], 'v', 'g', 't', 'f', 's', 'e', 'd')
if not fields[1] then
  return nil
end
local time = redis.call('TIME')
local now = serverMs(time)
local errorLeft = -1
if fields[6] then
  errorLeft = tonumber(fields[6]) - now
end
return {
  fields[1],
  tonumber(fields[2]),
  now - tonumber(fields[3]),
  tonumber(fields[4]) - now,
  tonumber(fields[5]) - now,
  errorLeft,
  tonumber(fields[7]),
}
