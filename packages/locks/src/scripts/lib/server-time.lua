--[[
  server-time: the server's clock (a TIME reply) as numbers, for every script that reads it:
  ms, the start of the current second in microseconds, and microseconds since the epoch.

  Products with 1e3 and 1e6, floats: a Lua with 32-bit integers (ioredis-mock's emulation)
  would wrap an integer product. Microseconds since the epoch stay below 2^53, where Lua's
  numbers (and JS's) are exact, until the year 2255; decimal() writes them with '%.0f', which
  keeps them out of exponent notation (that tonumber and BigInt could not read) and, unlike
  '%d', stays exact where a Lua emulation formats '%d' in 32 bits.
]]
local function serverMs(clock)
  return tonumber(clock[1]) * 1e3 + math.floor(tonumber(clock[2]) / 1000)
end
local function secondMicros(clock)
  return tonumber(clock[1]) * 1e6
end
local function serverMicros(clock)
  return tonumber(clock[1]) * 1e6 + tonumber(clock[2])
end
local function decimal(n)
  return string.format('%.0f', n)
end
