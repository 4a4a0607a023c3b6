end
local reply = body()
if QUARANTINE <= 0 then return reply end
local marker = redis.call('HMGET', MARKER, 'born', 'ttl')
-- 1e3, a float: a Lua with 32-bit integers (ioredis-mock's emulation) would wrap a product.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1e3 + math.floor(tonumber(clock[2]) / 1000)
local born = tonumber(marker[1])
local recorded = tonumber(marker[2]) or 0
local ttl = tonumber(ARGV[2])
if not born then
  born = now
  redis.call('HSET', MARKER, 'born', string.format('%.0f', now))
end
if ttl > recorded then
  recorded = ttl
  redis.call('HSET', MARKER, 'ttl', ARGV[2])
end
local age = now - born
if age >= QUARANTINE and (KNOWN_TTL == nil or recorded <= KNOWN_TTL) then return reply end
return {reply, age, recorded}
