--[[
  semaphore-peek: the owners of a semaphore's slots on this node, for inUse(). Changes nothing.
  Command module: semaphore-peek.ts.

  Input:
    KEYS[1..L]  the slot keys

  Output: a string: the slots' tokens in order, separated by commas, "" for a free slot.
  (A string, not MGET's array: a table of four would read as marker-open's wrapper.)
]]
local owners = {}
for i = 1, #KEYS do
  owners[i] = redis.call('GET', KEYS[i]) or ''
end
return table.concat(owners, ',')
