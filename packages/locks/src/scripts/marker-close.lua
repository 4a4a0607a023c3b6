end
local reply = body()
if QUARANTINE <= 0 then return reply end
local marker = redis.call('HMGET', MARKER, 'born', 'ttl', 'id')
-- 1e3, a float: a Lua with 32-bit integers (ioredis-mock's emulation) would wrap a product.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1e3 + math.floor(tonumber(clock[2]) / 1000)
local born = tonumber(marker[1])
local recorded = tonumber(marker[2]) or 0
local ttl = tonumber(ARGV[2])
local id = marker[3]
if not born then
  born = now
  -- The server's clock in microseconds names this marker: a marker written again (the node lost
  -- its data) has another id, however soon after.
  id = string.format('%.0f', tonumber(clock[1]) * 1e6 + tonumber(clock[2]))
  redis.call('HSET', MARKER, 'born', string.format('%.0f', now), 'id', id)
end
if ttl > recorded then
  recorded = ttl
  redis.call('HSET', MARKER, 'ttl', ARGV[2])
end
local age = now - born
if age >= QUARANTINE and (KNOWN_TTL == nil or recorded <= KNOWN_TTL) then return reply end
return {reply, age, recorded, id or ''}
