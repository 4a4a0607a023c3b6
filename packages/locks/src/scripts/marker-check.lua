--[[
  marker-check: sent once on each new connection, right after INFO, with the run_id INFO gave.
  A marker written by another server process (a replica that took over behind the same
  endpoint, or a restart that reloaded a snapshot) may describe data this process does not
  have: the marker is made young again, as if the node had lost its data. Command module:
  marker-check.ts.

  Input:
    KEYS[1]  the node's marker (see marker-open.lua)
    ARGV[1]  the run_id of the server process behind this connection

  Output: {reset, ttl}:
    reset  1 MarkerCheckReset: the marker was written by another process (it is now young
           again); 0 MarkerCheckKept: it was this process' own, or new
    ttl    the largest ttl the marker records (0 when none), so that a client knows the
           quarantine before its first votes count

  Includes: server-time.
]]
--- @include server-time
local fields = redis.call('HMGET', KEYS[1], 'run', 'ttl')
local owner = fields[1]
local recorded = tonumber(fields[2]) or 0
if owner == ARGV[1] then return {0, recorded} end
redis.call('HSET', KEYS[1], 'run', ARGV[1])
if not owner then return {0, recorded} end
local clock = redis.call('TIME')
redis.call('HSET', KEYS[1], 'born', decimal(serverMs(clock)), 'id', decimal(serverMicros(clock)))
return {1, recorded}
