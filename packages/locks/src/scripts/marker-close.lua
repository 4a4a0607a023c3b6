--[[
  marker-close: the second half of marker-open (see marker-open.lua for its Input and Output):
  ends the wrapped body, then reads and keeps the node's marker and, when it is young or records a
  larger ttl than the client knows, wraps the body's reply in the table the client decodes
  (marker.ts).

  Includes: nothing itself; uses server-time, included by marker-open.
]]
end
local reply = body()
if QUARANTINE <= 0 then return reply end
local marker = redis.call('HMGET', MARKER, 'born', 'ttl', 'id')
local clock = redis.call('TIME')
local now = serverMs(clock)
local born = tonumber(marker[1])
local recorded = tonumber(marker[2]) or 0
local ttl = tonumber(ARGV[2])
local id = marker[3]
if not born then
  born = now
  -- The server's clock in microseconds names this marker: a marker written again (the node lost
  -- its data) has another id, however soon after.
  id = decimal(serverMicros(clock))
  redis.call('HSET', MARKER, 'born', decimal(now), 'id', id)
end
if ttl > recorded then
  recorded = ttl
  redis.call('HSET', MARKER, 'ttl', ARGV[2])
end
local age = now - born
if age >= QUARANTINE and (KNOWN_TTL == nil or recorded <= KNOWN_TTL) then return reply end
return {reply, age, recorded, id or ''}
