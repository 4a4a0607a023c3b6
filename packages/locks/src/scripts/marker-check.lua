--[[
  marker-check: sent once on each new connection, right after INFO, with the run_id INFO gave.
  A marker written by another server process (a replica that took over behind the same
  endpoint, or a restart that reloaded a snapshot) may describe data this process does not
  have: the marker is made young again, as if the node had lost its data.

  KEYS[1]  the node's marker (see marker-open.lua)
  ARGV[1]  the run_id of the server process behind this connection

  Returns {reset, ttl}: reset is 1 when the marker was written by another process (it is now
  young again), 0 when it was this process' own, or new; ttl is the largest ttl the marker
  records (0 when none), so that a client knows the quarantine before its first votes count.
]]
local fields = redis.call('HMGET', KEYS[1], 'run', 'ttl')
local owner = fields[1]
local recorded = tonumber(fields[2]) or 0
if owner == ARGV[1] then return {0, recorded} end
redis.call('HSET', KEYS[1], 'run', ARGV[1])
if not owner then return {0, recorded} end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1e3 + math.floor(tonumber(clock[2]) / 1000)
local id = string.format('%.0f', tonumber(clock[1]) * 1e6 + tonumber(clock[2]))
redis.call('HSET', KEYS[1], 'born', string.format('%.0f', now), 'id', id)
return {1, recorded}
